package fraud

import "bytes"

// toolAgents are substrings (lowercase) of the User-Agent of HTTP libraries, command-line tools,
// headless and automated browsers and crawlers: nothing a voter's phone or desktop browser sends.
// Browsers in apps (WebViews) send browser user agents and do not match.
var toolAgents = []string{
	// command-line tools and HTTP libraries
	"curl", "wget", "httpie", "python-requests", "python-urllib", "python-httpx", "aiohttp",
	"go-http-client", "fasthttp", "okhttp", "java/", "apache-httpclient", "jakarta", "libwww-perl",
	"lwp::", "node-fetch", "undici", "axios", "got (", "ruby", "faraday", "guzzle", "php/",
	"postmanruntime", "insomnia", "powershell", "winhttp", "k6/", "locust", "jmeter", "wrk",
	"scrapy", "mechanize", "httpclient",
	// headless and automated browsers
	"headlesschrome", "headless", "phantomjs", "slimerjs", "puppeteer", "playwright", "selenium",
	"webdriver", "electron/", "cypress",
	// crawlers and link-preview fetchers ("bot" alone would match phone names such as Cubot)
	"bot/", "bot;", "bot-", "spider", "crawl", "slurp", "facebookexternalhit",
}

// IsTool reports whether a User-Agent is missing or names a tool, a library, an automated
// browser or a crawler (case-insensitive; only the first 512 bytes are read). It does not
// allocate: the vote path calls it.
func IsTool(ua string) bool {
	if ua == "" {
		return true
	}
	var buf [512]byte
	lower := buf[:min(len(ua), len(buf))]
	for i := range lower {
		c := ua[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	for i, c := range lower {
		for _, t := range toolAgentsByFirst[c] {
			if rest := lower[i:]; len(rest) >= len(t) && rest[1] == t[1] && bytes.Equal(rest[:len(t)], t) {
				return true
			}
		}
	}
	return false
}

// toolAgentsByFirst holds toolAgents by their first byte, so that IsTool reads the User-Agent once.
var toolAgentsByFirst = func() (out [256][][]byte) {
	for _, t := range toolAgents {
		out[t[0]] = append(out[t[0]], []byte(t))
	}
	return out
}()
