"""The sandbox's long-running process (started by `scripts/sandbox up`, stopped by `down`): plays
what AWS would run for the deployment beside the emulator.

- the LiteLLM proxy (`litellm_standin`), on 127.0.0.1;
- Lambda for the registration function (`lambda_standin`): its packaged `bootstrap`, configured
  as the bootstrap stack configured the function in the emulator (its environment, timeout and
  memory), runs against a Runtime API on 127.0.0.1;
- CloudFormation's delivery of custom-resource requests: each request the emulator queued for the
  deployment's model stacks (`/moto-api/custom-resources`, see scripts/moto-server.py) becomes an
  invocation of the function named in its ServiceToken, which answers CloudFormation itself;
- ECS and the load balancer's health checks for hosted models (`models_standin`);
- Lambda for the lifecycle function, and EventBridge Scheduler running the model schedules the
  emulator keeps (`scheduler_standin`): a model with a schedule stops and starts on time.

Everything it does goes to standard output, one line each (the sandbox's agent.log).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import signal
import sys
import threading
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.dont_write_bytecode = True  # no __pycache__ beside the scripts

import boto3  # noqa: E402 (moto's venv has it)
from botocore.config import Config  # noqa: E402

import common  # noqa: E402
import lambda_standin  # noqa: E402
import litellm_standin  # noqa: E402
import models_standin  # noqa: E402
import scheduler_standin  # noqa: E402

# Between two looks at the emulator's queue of custom-resource requests.
PUMP_INTERVAL_SECONDS = 0.25


def log(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", flush=True)


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=common.REGION,
        aws_access_key_id=common.ACCESS_KEY_ID,
        aws_secret_access_key=common.SECRET_ACCESS_KEY,
        config=Config(retries={"max_attempts": 3, "mode": "standard"}),
    )


def unpack(zip_path: Path, into: Path) -> None:
    """As Lambda unpacks a package into /var/task: `bootstrap` must be there and executable."""
    into.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(into)
    bootstrap = into / "bootstrap"
    if not bootstrap.is_file():
        raise common.SandboxError(f"{zip_path} holds no `bootstrap`: not a provided.al2023 function package")
    bootstrap.chmod(0o755)


def code_sha256(zip_path: Path) -> str:
    """Lambda's CodeSha256 of a package: the base64 of the zip's SHA-256."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode()


def function(args: argparse.Namespace, state: Path, arn: str, package: Path, port: int,
             settings: dict[str, str]) -> lambda_standin.Function:
    """A function as the bootstrap stack deployed it in the emulator: its configuration (the
    variables the stack pinned, timeout, memory) from there, its code from `package`."""
    configuration = client("lambda", args.moto).get_function_configuration(FunctionName=arn)
    name = configuration["FunctionName"]
    if configuration.get("CodeSha256") != code_sha256(package):
        log(f"lambda: warning: {package} is not the code the emulator's {name} was deployed with")
    code_dir = state / "functions" / name
    unpack(package, code_dir)
    environment = dict(configuration.get("Environment", {}).get("Variables", {}))
    environment.update(common.aws_env(args.moto))
    # The function's own Invoke calls come back to its stand-in.
    environment["AWS_ENDPOINT_URL_LAMBDA"] = f"http://127.0.0.1:{port}"
    for variable, value in settings.items():
        environment.setdefault(variable, value)
    return lambda_standin.Function(
        name=name,
        arn=configuration["FunctionArn"],
        code_dir=code_dir,
        environment=environment,
        timeout_seconds=int(configuration.get("Timeout") or 900),
        memory_mib=int(configuration.get("MemorySize") or 256),
        log_path=state / f"{name}.log",
        instances_file=state / f"{name}{common.INSTANCES_SUFFIX}",
        log=log,
    )


def enabled(properties: dict) -> bool:
    return str(properties.get("Enabled", "true")).strip().lower() == "true"


class Pump:
    """Hands the emulator's custom-resource requests to the functions that would get them."""

    def __init__(self, args: argparse.Namespace, function: lambda_standin.Function, fleet: models_standin.Fleet):
        self.url = f"{args.moto}/moto-api/custom-resources?stack={args.deployment}-"
        self.function = function
        self.fleet = fleet
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(PUMP_INTERVAL_SECONDS):
            try:
                status, body = common.http("GET", self.url, timeout=10)
                events = json.loads(body) if status == 200 else []
            except (OSError, ValueError) as error:
                log(f"pump: cannot read the emulator's queue: {error}")
                continue
            for event in events:
                try:
                    self.deliver(event)
                except Exception as error:  # noqa: BLE001 (one bad request must not stop the others)
                    log(f"pump: {event.get('RequestType')} {event.get('LogicalResourceId')}: {error!r}")

    def deliver(self, event: dict) -> None:
        properties = event.get("ResourceProperties") or {}
        kind = event.get("RequestType")
        model_id = properties.get("ModelId", "?")
        target_group = properties.get("TargetGroupArn")
        if target_group:
            old = event.get("OldResourceProperties") or {}
            if kind == "Delete" or not enabled(properties):
                self.fleet.retire(model_id)
            elif kind == "Create" or not enabled(old) or model_id not in self.fleet.endpoints():
                name = properties.get("LiteLlmModel", model_id).split("/", 1)[-1]
                self.fleet.start(model_id, name, target_group)
        token = event.get("ServiceToken")
        if token != self.function.arn:
            log(f"pump: {kind} {model_id}: no function {token} in the sandbox; the request stays unanswered")
            return
        label = f"{kind} {model_id}" + ("" if kind == "Delete" else f" (Enabled={properties.get('Enabled')})")
        log(f"pump: {label}: invoking {self.function.name}")
        self.function.invoke(json.dumps(event).encode(), label)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--moto", required=True, help="the emulator's URL")
    parser.add_argument("--deployment", required=True)
    parser.add_argument("--contract", type=Path, required=True)
    parser.add_argument("--litellm-port", type=int, required=True)
    parser.add_argument("--registrar-arn", required=True)
    parser.add_argument("--registrar-zip", type=Path, required=True)
    parser.add_argument("--registrar-port", type=int, required=True)
    parser.add_argument("--lifecycle-arn", required=True)
    parser.add_argument("--lifecycle-zip", type=Path, required=True)
    parser.add_argument("--lifecycle-port", type=int, required=True)
    parser.add_argument("--model-load-seconds", type=float, default=3)
    parser.add_argument("--health-poll-seconds", type=int, default=2)
    args = parser.parse_args()
    state = args.state.resolve()

    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())

    master_key = os.environ.pop("SANDBOX_LITELLM_MASTER_KEY")
    litellm = litellm_standin.LiteLlm(litellm_standin.Contract(args.contract), master_key, log)
    servers = [litellm_standin.serve(litellm, args.litellm_port)]
    log(f"litellm: serving on http://127.0.0.1:{args.litellm_port}")
    # The registration function polls target health faster than in AWS: tasks load in seconds.
    registrar = function(args, state, args.registrar_arn, args.registrar_zip, args.registrar_port,
                         {"LISA_HEALTH_POLL_SECONDS": str(args.health_poll_seconds)})
    lifecycle = function(args, state, args.lifecycle_arn, args.lifecycle_zip, args.lifecycle_port, {})
    functions = [registrar, lifecycle]
    for each, port in ((registrar, args.registrar_port), (lifecycle, args.lifecycle_port)):
        servers.append(lambda_standin.serve(each, port))
        log(f"lambda: {each.name} ({each.arn}) served on {each.runtime_api}")
    fleet = models_standin.Fleet(client("elbv2", args.moto), args.model_load_seconds, log)
    pump = Pump(args, registrar, fleet)
    scheduler = scheduler_standin.Scheduler(client("scheduler", args.moto), {f.arn: f for f in functions}, log)
    threading.Thread(target=pump.run, name="pump", daemon=True).start()
    threading.Thread(target=scheduler.run, name="scheduler", daemon=True).start()
    common.write_json(state / common.READY_FILE, {"pid": os.getpid()})
    log(f"pump: answering the custom resources of {args.deployment}-* stacks; scheduler: running their schedules")

    while not stopping.wait(1):
        for each in functions:
            each.scale()  # an instance that exited is replaced while invocations wait
        common.write_json(state / "models.json", fleet.endpoints())
    log("agent: stopping")
    pump.stopping.set()
    scheduler.stop()
    for each in functions:
        each.stop()
    fleet.stop()
    for server in servers:
        server.shutdown()
        server.server_close()
    (state / common.READY_FILE).unlink(missing_ok=True)
    log("agent: stopped")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except common.SandboxError as error:
        log(f"agent: {error}")
        sys.exit(1)
