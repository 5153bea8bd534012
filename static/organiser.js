// organiser.js: the organiser's console (/organiser/{poll}). The token comes from the sign-in form
// or the URL fragment (#token=..., never sent to the server), is kept in sessionStorage, and goes
// to the server only in the Authorization header (and, for the WebSocket, which browsers cannot
// give headers, in ?token=; the server logs no URL).
import { api, el, lang, langButton, live, num, pollFromPath, t as tr, text, time, translate } from './common.js';
import { message } from './messages.js';
import { bars } from './bars.js';
import { chart } from './chart.js';

const S = {
  en: {
    brand: 'Organiser',
    login_title: 'Organiser sign-in',
    login_hint: 'Enter the organiser token (LIVEVOTE_ADMIN_TOKEN). It stays in this tab only.',
    token: 'Organiser token',
    sign_in: 'Sign in',
    logout: 'Sign out',
    bad_token: 'This token was not accepted.',
    now: 'Now',
    ballots: 'ballots counted',
    rate: 'per minute (last minute)',
    held: 'held for review',
    voting: 'Voting',
    visibility: 'Results visibility',
    now_is: 'Now:',
    do_open: 'Open', do_paused: 'Pause', do_closed: 'Close',
    do_hidden: 'Hidden', do_live: 'Live', do_revealed: 'Revealed',
    open: 'open', paused: 'paused', closed: 'closed', scheduled: 'scheduled',
    hidden: 'hidden', live: 'live', revealed: 'revealed',
    pow: 'Proof of work',
    difficulty: 'Difficulty (max_number of a challenge)',
    pow_hint: '0 turns it off; 50,000 takes about a second on a phone; at most 10,000,000. Raise it when automated voting is suspected.',
    set: 'Set',
    pow_set: 'Difficulty is now {n}.',
    pages: 'Pages',
    screen_link: 'Big screen (signed in: R reveals, Space steps)',
    live_link: 'Public live page',
    vote_link: 'Ballot',
    screen_hint: 'The big screen takes the token from the link’s #fragment, which is never sent to the server. It shows the tally only once results are revealed or live.',
    turnout: 'Turnout',
    per_minute: 'Ballots per minute, last hour',
    per_hour: 'Ballots per hour, last 48 hours',
    chart_text: 'Peak {n} at {t}; {total} in this period.',
    tally: 'Tally',
    tally_hidden: 'Results are hidden: only organisers see this tally.',
    tally_public: 'Results are public: everyone sees this tally.',
    leader: 'Leader',
    votes: 'votes',
    fraud: 'Fraud signals',
    not_available: 'Not available yet on this server.',
    f_awaiting: 'held, awaiting review',
    f_accepted: 'attempts accepted',
    f_held_attempts: 'attempts held',
    f_refused: 'attempts refused',
    f_policy_hold: 'This poll holds suspicious ballots for your review: one strong signal, or {n} weak ones together, hold a ballot.',
    f_policy_report: 'This poll only reports signals: it holds no ballot (definite signals still refuse).',
    f_held_title: 'Held ballots',
    f_held_hint: 'Oldest first. Release counts a ballot at the time it was cast; Void keeps it in the log, never counted. Judge by batch: ballots held while a signal or a source spiked belong together.',
    f_held_none: 'No ballot is waiting for review.',
    f_held_more: 'Showing the oldest {n} of {total}.',
    f_recorded: 'Recorded {t}',
    f_release: 'Release',
    f_void: 'Void',
    f_release_label: 'Release ballot {r}',
    f_void_label: 'Void ballot {r}',
    c_release: ['Release this ballot?', 'Ballot {r} ({c}) will be counted, at the time it was cast.', 'Release ballot'],
    c_void: ['Void this ballot?', 'Ballot {r} ({c}) stays in the log as void and is never counted. This cannot be undone.', 'Void ballot'],
    released: 'Ballot {r} released: it is counted.',
    voided: 'Ballot {r} voided.',
    not_held: 'Ballot {r} is no longer awaiting review: it was released or voided already, perhaps from another console. The list is up to date now.',
    f_release_all: 'Release all {n} listed',
    f_void_all: 'Void all {n} listed',
    c_release_all: ['Release all {n} listed ballots?', 'Every ballot listed here will be counted, each at the time it was cast.', 'Release {n} ballots'],
    c_void_all: ['Void all {n} listed ballots?', 'Every ballot listed here stays in the log as void and is never counted. This cannot be undone.', 'Void {n} ballots'],
    released_all: '{n} ballots released: they are counted.',
    voided_all: '{n} ballots voided.',
    skipped_all: '{n} were no longer awaiting review (settled already, perhaps from another console).',
    f_signals: 'Signals',
    f_signals_caption: 'Vote attempts that showed each signal, with what it means',
    f_signal: 'Signal',
    f_attempts: 'Attempts',
    f_meaning: 'What it means',
    f_effect: 'Effect',
    f_refuses: 'refuses',
    f_holds: 'holds',
    f_weak: 'weak',
    f_refused_title: 'Refusals by reason',
    f_reason: 'Reason',
    f_none: 'No attempt refused so far.',
    f_velocity: 'Velocity by candidate',
    f_velocity_none: 'No candidate is being voted for at the moment (velocity needs about 5 minutes of history).',
    f_candidate: 'Candidate',
    f_per_minute: 'per minute',
    f_baseline: 'baseline',
    f_ratio: 'ratio',
    f_surging: 'surging',
    f_sources: 'Busiest sources',
    f_sources_hint: 'Sources are anonymised: each is the start of a keyed hash of an address or of its /24 (IPv6: /48); the server keeps no address. Counts are ballots recorded.',
    f_minute: 'Last minute',
    f_hour: 'Last hour',
    f_window: '{n} ballots; the busiest subnet has {p} of them.',
    f_kind: 'Kind',
    f_source: 'Source',
    f_ballots: 'Ballots',
    f_ip: 'address',
    f_subnet_kind: 'subnet',
    f_trusted_mark: 'trusted',
    f_no_sources: 'No ballot in this period.',
    f_trusted: 'Trusted subnets',
    f_trusted_hint: 'No source cap and no address rate limit applies to a trusted subnet (every other signal does). Mark the venue’s network trusted before the ceremony.',
    f_trusted_none: 'No subnet is trusted.',
    f_subnet: 'Subnet to trust (CIDR)',
    f_subnet_hint: 'For example 203.0.113.0/24, or one address. IPv4 /8 to /32, IPv6 /16 to /128.',
    f_add: 'Trust',
    f_remove: 'Remove',
    f_remove_label: 'Stop trusting {s}',
    c_untrust: ['Stop trusting {s}?', 'Its ballots count against the source caps again, and may be held.', 'Stop trusting'],
    bad_subnet: '“{s}” is not a subnet this server accepts. Use a CIDR prefix such as 203.0.113.0/24 (IPv4 /8 to /32, IPv6 /16 to /128), or one address.',
    trusted_added: '{s} is trusted now.',
    trusted_removed: '{s} is no longer trusted.',
    f_updated: 'Updated {t}; refreshed every 5 seconds while this page is visible.',
    sig: {
      honeypot: 'The ballot page’s hidden field was filled in: a form-filling script.',
      challenge: 'The proof-of-work was missing, wrong, expired, reused or too weak.',
      ip_cap: 'The address already had its hard cap of ballots in the last hour.',
      webdriver: 'The browser says automation drives it (navigator.webdriver).',
      tool_agent: 'No User-Agent, or one of an HTTP library, command-line tool, headless browser or crawler.',
      ip_minute: 'Over the per-address limit of ballots in the last minute.',
      ip_hour: 'Over the per-address limit of ballots in the last hour.',
      subnet_minute: 'Over the per-subnet (/24, /48) limit of ballots in the last minute.',
      subnet_hour: 'Over the per-subnet (/24, /48) limit of ballots in the last hour.',
      too_fast: 'Voted faster than a person reads the ballot (under the minimum vote time).',
      no_language: 'No Accept-Language header: every browser sends one, many scripts do not.',
      velocity: 'A chosen candidate was surging far above its own baseline and the rest of the poll.',
    },
    reason: {
      rate_limited: 'Too many requests, or over the hard cap',
      body_too_large: 'Request too large',
      invalid_request: 'Malformed request',
      voter_token_required: 'No voter cookie',
      voting_closed: 'Voting not open',
      challenge_failed: 'Proof-of-work failed, or honeypot',
      invalid_choice: 'Invalid choice',
      already_voted: 'Already voted',
      unavailable: 'Store unavailable',
      internal: 'Server error',
    },
    cancel: 'Cancel',
    c_open: ['Open voting?', 'Voters can cast ballots again.', 'Open voting'],
    c_paused: ['Pause voting?', 'Votes are refused until you open voting again.', 'Pause voting'],
    c_closed: ['Close voting?', 'No more ballots are accepted. You can open voting again later.', 'Close voting'],
    c_hidden: ['Hide the results?', 'The public, the live page and the big screen stop seeing the tally.', 'Hide results'],
    c_live: ['Show live results?', 'Everyone sees the tally as it changes, on every page.', 'Show live results'],
    c_revealed: ['Reveal the results?', 'The big screen starts its staged reveal and everyone sees the tally.', 'Reveal results'],
    changed_status: 'Voting is now {s}.',
    changed_results: 'Results are now {s}.',
    connected: 'live',
    reconnecting: 'reconnecting…',
  },
  zh: {
    brand: '组织者',
    login_title: '组织者登录',
    login_hint: '请输入组织者令牌（LIVEVOTE_ADMIN_TOKEN）。令牌只保存在此标签页中。',
    token: '组织者令牌',
    sign_in: '登录',
    logout: '退出',
    bad_token: '令牌无效。',
    now: '当前',
    ballots: '已计票数',
    rate: '每分钟（最近一分钟）',
    held: '待审核',
    voting: '投票状态',
    visibility: '结果可见性',
    now_is: '当前：',
    do_open: '开放', do_paused: '暂停', do_closed: '结束',
    do_hidden: '隐藏', do_live: '实时公开', do_revealed: '揭晓',
    open: '开放中', paused: '已暂停', closed: '已结束', scheduled: '未开始',
    hidden: '隐藏', live: '实时公开', revealed: '已揭晓',
    pow: '工作量证明',
    difficulty: '难度（挑战的 max_number）',
    pow_hint: '0 表示关闭；50,000 在手机上约需一秒；最大 10,000,000。怀疑有自动化投票时可提高。',
    set: '设置',
    pow_set: '难度已设为 {n}。',
    pages: '页面',
    screen_link: '大屏幕（已登录：按 R 揭晓，空格键下一步）',
    live_link: '公开实时页面',
    vote_link: '选票',
    screen_hint: '大屏幕从链接的 # 片段中读取令牌，片段不会发送到服务器。只有在结果揭晓或实时公开后，大屏幕才显示票数。',
    turnout: '投票人数',
    per_minute: '每分钟票数（最近一小时）',
    per_hour: '每小时票数（最近 48 小时）',
    chart_text: '峰值 {n}，时间 {t}；此期间共 {total}。',
    tally: '计票',
    tally_hidden: '结果已隐藏：只有组织者能看到此计票。',
    tally_public: '结果已公开：所有人都能看到此计票。',
    leader: '领先',
    votes: '票',
    fraud: '舞弊信号',
    not_available: '此服务器暂不提供。',
    f_awaiting: '待审核选票',
    f_accepted: '已接受的尝试',
    f_held_attempts: '被暂扣的尝试',
    f_refused: '被拒绝的尝试',
    f_policy_hold: '此投票会暂扣可疑选票供您审核：一个强信号，或同时出现 {n} 个弱信号，即暂扣该选票。',
    f_policy_report: '此投票只报告信号，不暂扣任何选票（确定性信号仍会拒绝）。',
    f_held_title: '暂扣的选票',
    f_held_hint: '按时间从早到晚排列。“放行”按投票时间计入该选票；“作废”将其作为无效票保留在记录中，永不计入。请按批次判断：在某个信号或来源激增期间被暂扣的选票通常属于同一批。',
    f_held_none: '没有待审核的选票。',
    f_held_more: '显示最早的 {n} 张，共 {total} 张。',
    f_recorded: '记录于 {t}',
    f_release: '放行',
    f_void: '作废',
    f_release_label: '放行选票 {r}',
    f_void_label: '作废选票 {r}',
    c_release: ['放行此选票？', '选票 {r}（{c}）将按投票时间计入。', '放行选票'],
    c_void: ['作废此选票？', '选票 {r}（{c}）将作为无效票保留在记录中，永不计入。此操作无法撤销。', '作废选票'],
    released: '选票 {r} 已放行并计入。',
    voided: '选票 {r} 已作废。',
    not_held: '选票 {r} 已不在待审核状态：它已被放行或作废，可能是在另一个控制台操作的。列表现已更新。',
    f_release_all: '全部放行（列出的 {n} 张）',
    f_void_all: '全部作废（列出的 {n} 张）',
    c_release_all: ['放行列出的全部 {n} 张选票？', '此处列出的每张选票都将按各自的投票时间计入。', '放行 {n} 张选票'],
    c_void_all: ['作废列出的全部 {n} 张选票？', '此处列出的每张选票都将作为无效票保留在记录中，永不计入。此操作无法撤销。', '作废 {n} 张选票'],
    released_all: '已放行 {n} 张选票并计入。',
    voided_all: '已作废 {n} 张选票。',
    skipped_all: '其中 {n} 张已不在待审核状态（已被处理，可能是在另一个控制台操作的）。',
    f_signals: '信号',
    f_signals_caption: '出现各信号的投票尝试次数及其含义',
    f_signal: '信号',
    f_attempts: '次数',
    f_meaning: '含义',
    f_effect: '作用',
    f_refuses: '拒绝',
    f_holds: '暂扣',
    f_weak: '弱',
    f_refused_title: '按原因统计的拒绝',
    f_reason: '原因',
    f_none: '目前没有被拒绝的尝试。',
    f_velocity: '各候选项的得票速度',
    f_velocity_none: '目前没有候选项正在得票（速度统计需要约 5 分钟的历史）。',
    f_candidate: '候选项',
    f_per_minute: '每分钟',
    f_baseline: '基线',
    f_ratio: '倍数',
    f_surging: '激增',
    f_sources: '最活跃的来源',
    f_sources_hint: '来源已匿名化：每一项是地址或其 /24（IPv6 为 /48）网段的带密钥哈希的前几位；服务器不保存任何地址。数字为已记录的选票数。',
    f_minute: '最近一分钟',
    f_hour: '最近一小时',
    f_window: '共 {n} 张选票；最活跃的网段占 {p}。',
    f_kind: '类型',
    f_source: '来源',
    f_ballots: '选票',
    f_ip: '地址',
    f_subnet_kind: '网段',
    f_trusted_mark: '受信任',
    f_no_sources: '此期间没有选票。',
    f_trusted: '受信任的网段',
    f_trusted_hint: '受信任的网段不受来源上限和地址限流的约束（其他信号照常适用）。请在活动开始前将会场网络设为受信任。',
    f_trusted_none: '没有受信任的网段。',
    f_subnet: '要信任的网段（CIDR）',
    f_subnet_hint: '例如 203.0.113.0/24，或单个地址。IPv4 为 /8 到 /32，IPv6 为 /16 到 /128。',
    f_add: '设为受信任',
    f_remove: '移除',
    f_remove_label: '不再信任 {s}',
    c_untrust: ['不再信任 {s}？', '其选票将重新受来源上限约束，并可能被暂扣。', '不再信任'],
    bad_subnet: '“{s}”不是服务器接受的网段。请使用 CIDR 前缀，例如 203.0.113.0/24（IPv4 为 /8 到 /32，IPv6 为 /16 到 /128），或单个地址。',
    trusted_added: '{s} 现已受信任。',
    trusted_removed: '{s} 已不再受信任。',
    f_updated: '更新于 {t}；页面可见时每 5 秒刷新一次。',
    sig: {
      honeypot: '选票页面的隐藏字段被填写：表单自动填写脚本。',
      challenge: '工作量证明缺失、错误、过期、被重复使用或强度不足。',
      ip_cap: '该地址在最近一小时内已达到选票硬上限。',
      webdriver: '浏览器表明自己由自动化程序控制（navigator.webdriver）。',
      tool_agent: '没有 User-Agent，或是 HTTP 库、命令行工具、无头浏览器或爬虫的 User-Agent。',
      ip_minute: '最近一分钟内超过单个地址的选票上限。',
      ip_hour: '最近一小时内超过单个地址的选票上限。',
      subnet_minute: '最近一分钟内超过单个网段（/24、/48）的选票上限。',
      subnet_hour: '最近一小时内超过单个网段（/24、/48）的选票上限。',
      too_fast: '投票速度快于正常阅读选票的速度（低于最短投票时间）。',
      no_language: '没有 Accept-Language 请求头：所有浏览器都会发送，许多脚本不会。',
      velocity: '所选候选项的得票速度远高于其自身基线和投票中的其他候选项。',
    },
    reason: {
      rate_limited: '请求过多，或超过硬上限',
      body_too_large: '请求过大',
      invalid_request: '请求格式错误',
      voter_token_required: '缺少选民 Cookie',
      voting_closed: '投票未开放',
      challenge_failed: '工作量证明未通过，或触发蜜罐',
      invalid_choice: '选项无效',
      already_voted: '已投过票',
      unavailable: '存储不可用',
      internal: '服务器错误',
    },
    cancel: '取消',
    c_open: ['开放投票？', '选民将可以再次投票。', '开放投票'],
    c_paused: ['暂停投票？', '在您重新开放之前，投票将被拒绝。', '暂停投票'],
    c_closed: ['结束投票？', '将不再接受选票。之后仍可重新开放。', '结束投票'],
    c_hidden: ['隐藏结果？', '公众、实时页面和大屏幕将不再看到计票。', '隐藏结果'],
    c_live: ['实时公开结果？', '所有页面上的所有人都能看到实时计票。', '实时公开'],
    c_revealed: ['揭晓结果？', '大屏幕将开始分步揭晓，所有人都能看到计票。', '揭晓结果'],
    changed_status: '投票现在：{s}。',
    changed_results: '结果现在：{s}。',
    connected: '已连接',
    reconnecting: '正在重新连接…',
  },
};
const t = (k, v) => tr(S, k, v);
const $ = (id) => document.getElementById(id);
const pollId = pollFromPath();
const base = `/api/v1/polls/${encodeURIComponent(pollId)}`;
const admin = `/api/v1/admin/polls/${encodeURIComponent(pollId)}`;

let token = '';
let poll = null;
let snap = null;
let difficulty = null;
let conn = '';
let failure = null;
let signals = null; // null: not loaded; {missing: true}; {data}
let started = false; // the console runs (live connection, refreshes)
const tally = bars($('tally'), {
  labels: (c) => ({ name: text(c.city), sub: text(c.initiative) }),
  leaderText: () => t('leader'),
  votesText: () => t('votes'),
});

langButton($('lang'), render);
translate(S);
start();

async function start() {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    save(decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }
  try { token = sessionStorage.getItem('lv_token') || ''; } catch (e) { token = m ? decodeURIComponent(m[1]) : ''; }
  if (!token || !(await signIn(token))) showLogin();
}

function save(v) {
  try { sessionStorage.setItem('lv_token', v); } catch (e) { /* private mode: this page only */ }
}

function showLogin(err) {
  $('login-box').hidden = false;
  $('console').hidden = true;
  $('login-error').textContent = err || '';
  $('token').focus();
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const v = $('token').value.trim();
  if (started) {
    // Signed in before with a token that stopped working: start afresh with the new one.
    save(v);
    return location.reload();
  }
  if (await signIn(v)) {
    $('token').value = '';
    save(v);
  }
});

$('logout').addEventListener('click', () => {
  try { sessionStorage.removeItem('lv_token'); } catch (e) { /* nothing kept */ }
  location.reload();
});

// signIn checks the token: /results answers "held" to organisers only.
async function signIn(v) {
  const res = await api(`${base}/results`, { token: v });
  if (!res.ok) { showLogin(message(lang, res)); return false; }
  if (!('held' in res.data)) { showLogin(t('bad_token')); return false; }
  token = v;
  const p = await api(base);
  if (!p.ok) { showLogin(message(lang, p)); return false; }
  poll = p.data;
  difficulty = poll.difficulty;
  snap = { ...res.data, rate: 0 };
  $('login-box').hidden = true;
  $('console').hidden = false;
  $('logout').hidden = false;
  $('live').hidden = false;
  render();
  $('title').focus();
  started = true;
  live(`/ws/polls/${encodeURIComponent(pollId)}?hz=4&token=${encodeURIComponent(token)}`, {
    onMessage: (m) => {
      // A change in the number of held ballots refreshes the fraud panel at once.
      if (signals && !signals.missing && snap && m.held !== snap.held) loadFraud();
      snap = m; renderNow();
    },
    onState: (s) => { conn = s; renderConn(); },
  });
  turnout();
  setInterval(turnout, 15000);
  loadFraud();
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') loadFraud(); });
  return true;
}

function render() {
  translate(S);
  document.title = `${t('brand')} · ${poll ? text(poll.title) : ''}`;
  if (!poll) return;
  $('title').textContent = text(poll.title);
  $('difficulty').value = difficulty ?? '';
  $('to-screen').href = `/screen/${encodeURIComponent(pollId)}#token=${encodeURIComponent(token)}`;
  $('to-live').href = `/live/${encodeURIComponent(pollId)}`;
  $('to-vote').href = `/vote/${encodeURIComponent(pollId)}`;
  renderNow();
  renderConn();
  renderTurnout();
  renderFraud();
  $('error').textContent = failure ? message(lang, failure) : '';
}

function renderConn() {
  $('live').querySelector('.dot').classList.toggle('off', conn !== 'open');
  $('conn').textContent = conn === 'open' ? t('connected') : conn ? t('reconnecting') : '';
}

function renderNow() {
  if (!snap || !poll) return;
  $('ballots').textContent = num(snap.ballots);
  $('rate').textContent = num(snap.rate || 0, 1);
  $('held').textContent = num(snap.held || 0);
  for (const [k, v] of [['status', snap.status], ['results', snap.results]]) {
    $(k).textContent = t(v);
    $(k).className = 'badge ' + v;
    for (const b of document.querySelectorAll(`[data-set=${k}]`)) b.setAttribute('aria-pressed', String(b.dataset.value === v));
  }
  $('tally-note').textContent = snap.results === 'hidden' ? t('tally_hidden') : t('tally_public');
  tally.update(snap.tally || {}, poll.candidates);
}

// Changes of status and results visibility ask for confirmation first.
for (const b of document.querySelectorAll('[data-set]')) {
  b.addEventListener('click', async () => {
    const { set, value } = b.dataset;
    if (snap && snap[set] === value) return;
    if (!(await confirmed('c_' + value, {}, value === 'closed' || value === 'revealed'))) return b.focus();
    const res = await api(`${admin}/${set}`, { method: 'POST', body: { [set]: value }, token });
    b.focus();
    if (!res.ok) return fail(res);
    failure = null;
    snap = { ...snap, status: res.data.status, results: res.data.results };
    render();
    announce(t(set === 'status' ? 'changed_status' : 'changed_results', { s: t(res.data[set]) }));
  });
}

$('pow-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const n = Number($('difficulty').value);
  if (!Number.isInteger(n) || n < 0 || n > 10000000) return fail({ code: 'invalid_request' });
  const res = await api(`${admin}/difficulty`, { method: 'POST', body: { difficulty: n }, token });
  if (!res.ok) return fail(res);
  failure = null;
  difficulty = res.data.difficulty;
  render();
  announce(t('pow_set', { n: num(difficulty) }));
});

// confirmed asks for confirmation in the dialog: key names [title, text, button] (with {vars});
// it answers whether the organiser confirmed.
async function confirmed(key, vars, danger) {
  const fill = (x) => x.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m));
  const [title, body, ok] = t(key).map(fill);
  $('confirm-title').textContent = title;
  $('confirm-text').textContent = body;
  $('confirm-ok').textContent = ok;
  $('confirm-ok').classList.toggle('danger', !!danger);
  const d = $('confirm');
  d.returnValue = '';
  d.showModal();
  await new Promise((r) => d.addEventListener('close', r, { once: true }));
  return d.returnValue === 'ok';
}

function fail(res) {
  failure = res;
  $('error').textContent = message(lang, res);
  if (res.code === 'unauthorized') showLogin(t('bad_token'));
}

function announce(s) {
  $('announce').textContent = s;
}

let minute = null;
let hour = null;
async function turnout() {
  const [m, h] = await Promise.all([api(`${base}/turnout?step=1m`), api(`${base}/turnout?step=1h`)]);
  if (m.ok) minute = m.data.series;
  if (h.ok) hour = h.data.series;
  renderTurnout();
}

function renderTurnout() {
  const describe = (n, at, total) => t('chart_text', { n: num(n), t: time(at), total: num(total) });
  if (minute) chart($('chart-minute'), minute, { steps: 60, stepMs: 60e3, describe });
  if (hour) chart($('chart-hour'), hour, { steps: 48, stepMs: 3600e3, describe });
}

// The fraud panel: GET .../signals and .../held, every 5 s while the page is visible, at once when
// it becomes visible again or the number of held ballots changes, and after each action. One
// refresh at a time; the DOM changes only where the numbers did.
const SIGNALS = ['honeypot', 'challenge', 'ip_cap', 'webdriver', 'tool_agent', 'ip_minute', 'ip_hour',
  'subnet_minute', 'subnet_hour', 'too_fast', 'no_language', 'velocity'];
const EFFECT = { honeypot: 'f_refuses', challenge: 'f_refuses', ip_cap: 'f_refuses', webdriver: 'f_holds', tool_agent: 'f_holds',
  ip_minute: 'f_holds', ip_hour: 'f_holds', subnet_minute: 'f_holds', subnet_hour: 'f_holds', too_fast: 'f_weak',
  no_language: 'f_weak', velocity: 'f_weak' };
const HELD_LIMIT = 100;
let held = null; // {count, held: [...]} from .../held
let fraudTimer = 0;
let loading = null;
let again = false;
let fraudFailure = null; // {key, vars} or an API answer: the panel's last error

function loadFraud() {
  if (loading) { again = true; return loading; }
  clearTimeout(fraudTimer);
  loading = (async () => {
    do {
      again = false;
      const [sig, h] = await Promise.all([
        api(`${admin}/signals`, { token }),
        api(`${admin}/held?limit=${HELD_LIMIT}`, { token }),
      ]);
      if (sig.ok) signals = { data: sig.data, at: new Date() };
      else if (sig.status === 404) signals = { missing: true };
      if (h.ok) held = h.data;
      if (sig.code === 'unauthorized') fail(sig);
      renderFraud();
    } while (again);
    loading = null;
    if (signals && signals.missing) return;
    fraudTimer = setTimeout(() => { if (document.visibilityState === 'visible') loadFraud(); else fraudTimer = 0; }, 5000);
  })();
  return loading;
}

const setText = (e, s) => { if (e.textContent !== s) e.textContent = s; };
const share = (x) => new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : 'en', { style: 'percent', maximumFractionDigits: 0 }).format(x);
// rows replaces a table's body when its rows (arrays of cells: text, or [text, class]) changed.
function rows(table, list) {
  const body = table.tBodies[0];
  const key = JSON.stringify(list);
  if (body.dataset.key === key) return;
  body.dataset.key = key;
  body.replaceChildren(...list.map((r) => el('tr', {}, ...r.map((c, i) => {
    const [txt, cls] = Array.isArray(c) ? c : [c, ''];
    return el(i === 0 ? 'th' : 'td', { class: cls || null, scope: i === 0 ? 'row' : null }, txt);
  }))));
}
const candidate = (id) => (poll && poll.candidates.find((c) => c.id === id)) || null;
const candidateName = (id) => { const c = candidate(id); return c ? text(c.city) : id; };
const choicesText = (ids) => ids.map(candidateName).join(', ');

function renderFraud() {
  const body = $('fraud-body');
  $('fraud-missing').hidden = !(signals && signals.missing);
  body.hidden = !signals || !!signals.missing;
  setText($('fraud-error'), fraudFailure ? fraudMessage(fraudFailure) : '');
  if (body.hidden || !poll) return;
  const d = signals.data;
  const count = held ? held.count : d.held;
  setText($('f-held'), num(count));
  setText($('held'), num(count));
  setText($('f-accepted'), num(d.results.accepted || 0));
  setText($('f-held-attempts'), num(d.results.held || 0));
  const refused = Object.entries(d.refused || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  setText($('f-refused-total'), num(refused.reduce((a, [, n]) => a + n, 0)));
  setText($('f-policy'), d.policy && d.policy.hold ? t('f_policy_hold', { n: d.policy.weak_signals_to_hold }) : t('f_policy_report'));

  // Signals: every one, in the README's order, with its effect and meaning.
  const sig = t('sig');
  rows($('f-signals'), SIGNALS.map((k) => [
    [k, 'mono'], [num((d.signals || {})[k] || 0), (d.signals || {})[k] ? 'n hot' : 'n'],
    [t(EFFECT[k]), 'effect ' + EFFECT[k]], [sig[k], 'meaning'],
  ]));
  const reason = t('reason');
  $('f-refused-none').hidden = refused.length > 0;
  $('f-refused').hidden = refused.length === 0;
  rows($('f-refused'), refused.map(([k, n]) => [reason[k] || k, [num(n), 'n']]));

  const vel = (d.velocity || []).filter((v) => v.per_minute > 0 || v.surging).sort((a, b) => b.per_minute - a.per_minute);
  $('f-velocity-none').hidden = vel.length > 0;
  $('f-velocity').hidden = vel.length === 0;
  rows($('f-velocity'), vel.map((v) => [
    candidateName(v.candidate) + (v.surging ? ` · ${t('f_surging')}` : ''),
    [num(v.per_minute, 1), 'n'], [num(v.baseline, 1), 'n'], [v.ratio ? `${num(v.ratio, 1)}×` : '–', v.surging ? 'n hot' : 'n'],
  ]));

  renderSources(d.sources || {});
  renderTrusted(d.trusted || []);
  renderHeld(count);
  setText($('f-updated'), t('f_updated', { t: time(signals.at, { timeStyle: 'medium' }) }));
}

function renderSources(src) {
  const box = $('f-sources');
  const key = JSON.stringify([lang, src]);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren(...[['minute', 'f_minute'], ['hour', 'f_hour']].map(([w, title]) => {
    const v = src[w] || { ballots: 0, ips: [], subnets: [] };
    const list = [...(v.subnets || []).map((x) => ['f_subnet_kind', x]), ...(v.ips || []).map((x) => ['f_ip', x])];
    const part = el('div', { class: 'sub' }, el('h4', { text: t(title) }));
    if (!v.ballots) {
      part.append(el('p', { class: 'empty', text: t('f_no_sources') }));
      return part;
    }
    part.append(el('p', { class: 'hint', text: t('f_window', { n: num(v.ballots), p: share(v.top_subnet_share || 0) }) }));
    const table = el('table', { class: 'data' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: t('f_source') }), el('th', { scope: 'col', text: t('f_kind') }),
        el('th', { scope: 'col', class: 'n', text: t('f_ballots') }))),
      el('tbody'));
    rows(table, list.map(([kind, x]) => [
      [x.hash.slice(0, 10) + '…', 'mono'], t(kind) + (x.trusted ? ` · ${t('f_trusted_mark')}` : ''), [num(x.ballots), 'n'],
    ]));
    part.append(table);
    return part;
  }));
}

function renderTrusted(list) {
  const ul = $('trusted-list');
  $('trusted-empty').hidden = list.length > 0;
  const key = JSON.stringify([lang, list]);
  if (ul.dataset.key === key) return;
  ul.dataset.key = key;
  ul.replaceChildren(...list.map((s) => {
    const b = el('button', { type: 'button', class: 'btn quiet small', 'aria-label': t('f_remove_label', { s }), text: t('f_remove') });
    b.addEventListener('click', () => untrust(s, b));
    return el('li', {}, el('code', { text: s }), b);
  }));
}

// renderHeld keeps one list item per held ballot (keyed by receipt), so that the focus stays on
// a button while the list refreshes around it.
function renderHeld(count) {
  const ul = $('held-list');
  const list = held ? held.held : [];
  $('held-empty').hidden = list.length > 0;
  $('held-bulk').hidden = list.length < 2;
  setText($('release-all'), t('f_release_all', { n: num(list.length) }));
  setText($('void-all'), t('f_void_all', { n: num(list.length) }));
  setText($('held-more'), count > list.length && list.length ? t('f_held_more', { n: num(list.length), total: num(count) }) : '');
  const old = new Map([...ul.children].map((li) => [li.dataset.receipt, li]));
  let prev = null;
  for (const h of list) {
    const key = lang + '|' + h.receipt;
    let li = old.get(h.receipt);
    old.delete(h.receipt);
    if (!li || li.dataset.key !== key) {
      const fresh = heldItem(h);
      if (li) li.replaceWith(fresh); else ul.append(fresh);
      li = fresh;
    }
    if (prev ? li.previousElementSibling !== prev : ul.firstElementChild !== li) (prev ? prev.after(li) : ul.prepend(li));
    prev = li;
  }
  for (const li of old.values()) li.remove();
}

function heldItem(h) {
  const li = el('li', { 'data-receipt': h.receipt });
  li.dataset.key = lang + '|' + h.receipt;
  const choices = el('ul', { class: 'choices' }, ...h.choices.map((id) => {
    const c = candidate(id);
    return el('li', {}, el('strong', { text: c ? text(c.city) : id }), c ? ` · ${text(c.initiative)}` : null);
  }));
  const release = el('button', { type: 'button', class: 'btn small', 'data-action': 'release',
    'aria-label': t('f_release_label', { r: h.receipt }), text: t('f_release') });
  const voidB = el('button', { type: 'button', class: 'btn quiet small danger-text', 'data-action': 'void',
    'aria-label': t('f_void_label', { r: h.receipt }), text: t('f_void') });
  release.addEventListener('click', () => review(h, 'release', release));
  voidB.addEventListener('click', () => review(h, 'void', voidB));
  li.append(
    el('div', { class: 'what' }, el('code', { class: 'held-receipt', text: h.receipt }),
      el('span', { class: 'hint', text: t('f_recorded', { t: time(h.recorded_at, { dateStyle: 'short', timeStyle: 'medium' }) }) }), choices),
    el('div', { class: 'acts' }, release, voidB));
  return li;
}

// review releases or voids a held ballot after confirmation, then refreshes the panel and puts
// the focus on the next ballot (or the list's heading).
async function review(h, action, button) {
  const vars = { r: h.receipt, c: choicesText(h.choices) };
  if (!(await confirmed(action === 'release' ? 'c_release' : 'c_void', vars, action === 'void'))) return button.focus();
  const li = button.closest('li');
  const next = li.nextElementSibling || li.previousElementSibling;
  for (const b of li.querySelectorAll('button')) b.disabled = true;
  const res = await api(`${admin}/held/${encodeURIComponent(h.receipt)}`, { method: 'POST', body: { action }, token });
  if (res.ok) {
    fraudFailure = null;
    announce(t(action === 'release' ? 'released' : 'voided', { r: h.receipt }));
  } else {
    fraudFailure = res.code === 'not_held' ? { key: 'not_held', vars } : res;
    if (res.code === 'unauthorized') fail(res);
  }
  await loadFraud();
  const target = next && next.isConnected ? next.querySelector(`[data-action=${action}]`) : null;
  (target || li.isConnected && li.querySelector(`[data-action=${action}]`) || $('h-held-list')).focus();
}

// bulkReview releases or voids every held ballot listed (POST .../held), after confirmation, then
// refreshes the panel. Ballots settled meanwhile elsewhere are reported, not an error.
async function bulkReview(action, button) {
  const receipts = held ? held.held.map((h) => h.receipt) : [];
  if (!receipts.length) return;
  const n = num(receipts.length);
  if (!(await confirmed(action === 'release' ? 'c_release_all' : 'c_void_all', { n }, action === 'void'))) return button.focus();
  button.disabled = true;
  const res = await api(`${admin}/held`, { method: 'POST', body: { action, receipts }, token });
  button.disabled = false;
  if (res.ok) {
    fraudFailure = null;
    const skipped = res.data.not_held.length + res.data.not_found.length;
    announce(t(action === 'release' ? 'released_all' : 'voided_all', { n: num(res.data.reviewed.length) }) +
      (skipped ? ' ' + t('skipped_all', { n: num(skipped) }) : ''));
  } else {
    fraudFailure = res;
    if (res.code === 'unauthorized') fail(res);
  }
  await loadFraud();
  $('h-held-list').focus();
}
$('release-all').addEventListener('click', () => bulkReview('release', $('release-all')));
$('void-all').addEventListener('click', () => bulkReview('void', $('void-all')));

$('h-held-list').tabIndex = -1;

$('trusted-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const s = $('subnet').value.trim();
  if (!s) return;
  const res = await api(`${admin}/trusted`, { method: 'POST', body: { subnet: s }, token });
  if (res.ok) {
    fraudFailure = null;
    $('subnet').value = '';
    announce(t('trusted_added', { s }));
  } else {
    fraudFailure = res.code === 'invalid_request' ? { key: 'bad_subnet', vars: { s } } : res;
    if (res.code === 'unauthorized') fail(res);
    $('subnet').focus();
  }
  loadFraud();
});

async function untrust(s, button) {
  if (!(await confirmed('c_untrust', { s }, true))) return button.focus();
  const res = await api(`${admin}/trusted?subnet=${encodeURIComponent(s)}`, { method: 'DELETE', token });
  if (res.ok) {
    fraudFailure = null;
    announce(t('trusted_removed', { s }));
  } else {
    fraudFailure = res;
    if (res.code === 'unauthorized') fail(res);
  }
  await loadFraud();
  $('subnet').focus();
}

function fraudMessage(f) {
  return f.key ? t(f.key, f.vars) : message(lang, f);
}
