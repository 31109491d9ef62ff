#!/bin/sh
# The end of `make demo`: serve the sandbox the demo just configured and the reference bot on
# loopback, then run `check` and `test`, so a conversation flows through the applied setup.
#   examples/byoc/bot/demo.sh EGAIN_PROVISION PYTHON
# Ports: the sandbox on 8765 (its default), the bot on 8766 (where examples/byoc's callbacks point).
set -u
egain=${1:-egain-provision}
python=${2:-python3}
logs=.egain/demo
mkdir -p "$logs"

$egain sandbox serve --port 8765 >"$logs/sandbox.log" 2>&1 &
sandbox=$!
$python examples/byoc/bot/bot.py --port 8766 --api http://127.0.0.1:8765/conversation/conversationmgr/v3 >"$logs/bot.log" 2>&1 &
bot=$!
trap 'kill $sandbox $bot 2>/dev/null; wait $sandbox $bot 2>/dev/null' EXIT

# Both print their URL once they listen; wait for that, at most 20 s.
tries=0
until grep -q "url:" "$logs/sandbox.log" 2>/dev/null && grep -q "bot:" "$logs/bot.log" 2>/dev/null; do
    tries=$((tries + 1))
    if [ $tries -gt 200 ] || ! kill -0 $sandbox 2>/dev/null || ! kill -0 $bot 2>/dev/null; then
        echo "the sandbox or the bot did not start (ports 8765 and 8766 must be free):" >&2
        cat "$logs/sandbox.log" "$logs/bot.log" >&2
        exit 1
    fi
    sleep 0.1
done

# `check` (egain-provision check) is another command's work; run it where it exists.
if $egain check --help >/dev/null 2>&1; then
    echo '$ egain-provision check examples/byoc   # every callback: token found, 2xx within 5 s, 401 handled'
    $egain check examples/byoc || exit 1
fi
echo '$ egain-provision test --target http://127.0.0.1:8765 examples/byoc/scenarios'
$egain test --target http://127.0.0.1:8765 examples/byoc/scenarios
