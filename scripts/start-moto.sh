# Sourced: starts moto's server on a free port of 127.0.0.1 and exports LISA_MOTO_ENDPOINT.
# `stop_moto` stops it. The log goes to target/moto.log.
moto_port=$(.venv-cfn/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p target
.venv-cfn/bin/python scripts/moto-server.py -H 127.0.0.1 -p "$moto_port" >target/moto.log 2>&1 &
moto_pid=$!
export LISA_MOTO_ENDPOINT="http://127.0.0.1:$moto_port"
stop_moto() { kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; }
if ! .venv-cfn/bin/python - "$LISA_MOTO_ENDPOINT" <<'PY'
import sys, time, urllib.request
url = sys.argv[1] + "/moto-api/"
for _ in range(100):
    try:
        urllib.request.urlopen(url, timeout=1)
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PY
then
  echo "test: moto's server did not start; see target/moto.log" >&2
  stop_moto
  exit 1
fi
echo "test: moto's server is at $LISA_MOTO_ENDPOINT" >&2
