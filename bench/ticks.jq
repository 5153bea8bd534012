# The dashboards' tick figure over the JSON reports of several tool processes (jq -rs -f):
# "delivered/expected (T ticks, S skipped)", where T counts the readings ("at") of the window seen
# by any dashboard of any process, expected is the dashboards connected times T (every reading of
# the window, wherever its messages arrived relative to the window's end), and S the ticks
# missing between two readings (loadtest's ticks_skipped, over every process's readings).
(map(.dash.tick_at // []) | add | unique) as $at
| (1e9 / (.[0].hz // 4)) as $tick
| ([range(1; $at | length) | (($at[.] - $at[. - 1]) / $tick | round) - 1] | add // 0) as $s
| "\(map(.dash.tick_deliveries) | add)/\((map(.dash.connected) | add) * ($at | length)) (\($at | length) ticks, \($s) skipped)"
