package pages

// Hz is how many live updates a second each page asks for (GET /ws/polls/{poll}?hz=, by the
// page's folder in static/): the big screen the most the hub gives (hub.MaxHz), the console the
// hub's default, the ballot and the live page fewer (a phone on a venue's network). The pages
// read it from codes.js; internal/pagecodes checks it against the hub's limits.
func Hz() map[string]int {
	return map[string]int{"ballot": 1, "live": 2, "organiser": 4, "screen": 10}
}
