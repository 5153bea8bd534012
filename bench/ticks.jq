# The dashboards' tick figure over the JSON reports of several tool processes (jq -rs -f):
# "delivered/expected (T ticks)", where T counts the readings ("at") of the window seen by any
# dashboard of any process and expected is the dashboards connected times T: every reading of the
# window, wherever its messages arrived relative to the window's end.
(map(.dash.tick_at // []) | add | unique | length) as $t
| "\(map(.dash.tick_deliveries) | add)/\((map(.dash.connected) | add) * $t) (\($t) ticks)"
