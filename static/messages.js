// messages.js: every error code of the API (docs/API.md, "Errors"; the server's list is codes.js, and
// the browser test checks that each has a sentence here), and "network" for a server that cannot
// be reached, as a sentence for people, in English and in Chinese. {s} is the number of seconds
// of Retry-After.

export const messages = {
  en: {
    invalid_request: 'Something in the request was not right. Please reload the page and try again.',
    voter_token_required: 'Your browser did not keep the cookie this vote needs to count one ballot per person. Allow cookies for this site, then reload the page.',
    unauthorized: 'The organiser token was not accepted.',
    forbidden: 'This token may not do that: ask the organisers for a token with this right.',
    challenge_failed: 'The security check of your browser did not pass. Please try again.',
    voting_closed: 'Voting is not open right now.',
    poll_not_found: 'This vote does not exist. Please check the link.',
    already_voted: 'You have already voted. Each person votes once.',
    already_voted_daily: 'You have already voted today. You can vote again tomorrow.',
    body_too_large: 'Your vote could not be sent. Please reload the page and try again.',
    invalid_choice: 'That choice is not valid. Please check your selection and try again.',
    rate_limited: 'Too many attempts from your network just now. Please wait {s} seconds, then try again.',
    rate_limited_short: 'Too many attempts from your network just now. Please wait a moment, then try again.',
    receipt_not_found: 'No ballot has this receipt. Please check the code.',
    not_held: 'This ballot is no longer awaiting review: it was released or voided already.',
    not_found: 'The server has no such thing. Please reload the page.',
    method_not_allowed: 'The server does not take this request. Please reload the page and try again.',
    upgrade_required: 'This address serves live updates only. Please reload the page.',
    unavailable: 'Your vote could not be recorded just now, and nothing was recorded. Please try again.',
    network: 'The server cannot be reached. Check your connection, then try again.',
    internal: 'Something went wrong on our side. Please try again.',
    invalid_host: 'This address is not valid. Please open the vote from its link or QR code.',
    headers_too_large: 'Your browser sent too much data with this request. Please clear this site\'s cookies, then reload the page.',
    request_timeout: 'The request took too long to arrive. Check your connection, then try again.',
    origin_not_allowed: 'Live updates are not available on this page. Please open the vote from its own link.',
    unreviewed_ballots: 'Ballots are still held or pending review. Review them first, or confirm that you reveal without them.',
    not_revealed: 'The results are not revealed yet: reveal them first.',
  },
  zh: {
    invalid_request: '请求有误。请刷新页面后重试。',
    voter_token_required: '您的浏览器没有保存本次投票所需的 Cookie（用于确保每人一票）。请允许本网站使用 Cookie，然后刷新页面。',
    unauthorized: '组织者令牌无效。',
    forbidden: '此令牌无权执行该操作：请向组织者索取具有此权限的令牌。',
    challenge_failed: '浏览器安全验证未通过，请重试。',
    voting_closed: '当前不在投票时间内。',
    poll_not_found: '该投票不存在，请检查链接。',
    already_voted: '您已经投过票了。每人只能投一票。',
    already_voted_daily: '您今天已经投过票了，明天可以再投。',
    body_too_large: '您的选票未能发送。请刷新页面后重试。',
    invalid_choice: '所选项目无效。请检查您的选择后重试。',
    rate_limited: '您所在网络的请求过于频繁。请等待 {s} 秒后重试。',
    rate_limited_short: '您所在网络的请求过于频繁。请稍候片刻再试。',
    receipt_not_found: '没有与此凭证对应的选票，请核对编号。',
    not_held: '此选票已不在待审核状态：它已被放行或作废。',
    not_found: '服务器上没有所请求的内容。请刷新页面。',
    method_not_allowed: '服务器不接受此请求。请刷新页面后重试。',
    upgrade_required: '此地址只提供实时更新。请刷新页面。',
    unavailable: '暂时无法记录您的投票，本次未记录任何内容。请重试。',
    network: '无法连接服务器。请检查网络连接后重试。',
    internal: '服务器出现问题，请重试。',
    invalid_host: '此网址无效。请通过投票链接或二维码打开。',
    headers_too_large: '您的浏览器随请求发送的数据过多。请清除本网站的 Cookie，然后刷新页面。',
    request_timeout: '请求未能及时送达。请检查网络连接后重试。',
    origin_not_allowed: '此页面无法接收实时更新。请通过投票本身的链接打开。',
    unreviewed_ballots: '仍有选票被暂扣或等待审核。请先审核，或确认在不计入这些选票的情况下揭晓。',
    not_revealed: '结果尚未揭晓：请先揭晓。',
  },
};

// message returns the sentence for an API answer ({code, retryAfter}) in language lang.
export function message(lang, res, daily = false) {
  const m = messages[lang] || messages.en;
  let code = res.code;
  if (code === 'already_voted' && daily) code = 'already_voted_daily';
  if (code === 'rate_limited' && !res.retryAfter) code = 'rate_limited_short';
  const s = m[code] || m.internal;
  return s.replace('{s}', res.retryAfter);
}
