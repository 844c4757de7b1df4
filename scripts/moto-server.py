"""Starts moto's server for the deploy tests: `python moto-server.py -H 127.0.0.1 -p PORT`.

A launcher of our own, rather than the `moto_server` script, so that the test setup can adjust
moto before it serves:

- Custom resources (`Custom::*`). moto 5.2.5 invokes their Lambda through Docker, which is
  absent here, and has no update or delete handling for them (an update that changes a custom
  resource's properties answers HTTP 500; deletes are never delivered). Here every Create,
  Update and Delete request is queued instead, and the tests play the registration function:
  `GET /moto-api/custom-resources?stack=<stack-name prefix>` hands over (and forgets) the
  pending requests of the stacks whose name starts with the prefix, each a CloudFormation
  custom-resource event with its `ResponseURL`; the test answers by PUT to that URL with an
  empty Content-Type, as the function would. A Create keeps the stack in CREATE_IN_PROGRESS
  until it is answered (moto's own flow); a FAILED answer fails the stack with the answer's
  Reason (moto ignores it). Updates and deletes are synchronous in moto: the resource and its
  data are kept, and their answers go to a route that only records them.
- Change sets of type CREATE. moto 5.2.5 executes them by updating an empty stack: the stack is
  CREATE_COMPLETE at once, without waiting for custom resources, and has no outputs. Here they
  are executed as CreateStack executes a template (the flow above, outputs included).
- Rollbacks. moto never rolls a stack back. `POST /moto-api/fault/update-rollback?stack=<name>`
  with the failure's reason as the body makes the stack look like an update that failed and
  rolled back cleanly (an UPDATE_FAILED event with the reason, then UPDATE_ROLLBACK_COMPLETE),
  so the deployer's handling of a clean rollback can be tested.
"""

import json
import sys
import threading
import urllib.parse
from typing import Any

from moto.cloudformation.custom_model import CustomModel
from moto.cloudformation.models import CloudFormationBackend
from moto.cloudformation.responses import CloudFormationResponse
from moto.moto_api._internal import urls as moto_api_urls
from moto.moto_api._internal import mock_random
from moto.server import main

_LOCK = threading.Lock()
_PENDING: list[dict[str, Any]] = []
# physical id -> (stack id, logical id, resource type, properties, region)
_RESOURCES: dict[str, tuple[str, str, str, dict[str, Any], str]] = {}


def _port() -> str:
    args = sys.argv[1:]
    for flag in ("-p", "--port"):
        if flag in args and args.index(flag) + 1 < len(args):
            return args[args.index(flag) + 1]
    return "5000"


def _base() -> str:
    return f"http://127.0.0.1:{_port()}"


def _queue(
    request_type: str,
    stack_id: str,
    logical_id: str,
    resource_type: str,
    properties: dict[str, Any],
    region: str,
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
) -> None:
    if request_type == "Create":
        # moto's own response route completes the stack's creation.
        response_url = f"{_base()}/cloudformation_{region}/cfnresponse?stack={urllib.parse.quote(stack_id, safe='')}"
    else:
        response_url = f"{_base()}/moto-api/custom-resources/answer"
    event: dict[str, Any] = {
        "RequestType": request_type,
        "ServiceToken": properties.get("ServiceToken"),
        "ResponseURL": response_url,
        "StackId": stack_id,
        "RequestId": str(mock_random.uuid4()),
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "ResourceProperties": properties,
    }
    if physical_id is not None:
        event["PhysicalResourceId"] = physical_id
    if old_properties is not None:
        event["OldResourceProperties"] = old_properties
    with _LOCK:
        _PENDING.append(event)


def _create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
    logical_id = kwargs["LogicalId"]
    stack_id = kwargs["StackId"]
    resource_type = kwargs["ResourceType"]
    properties = cloudformation_json["Properties"]
    resource = CustomModel(region_name, str(mock_random.uuid4()), logical_id, resource_name)
    from moto.cloudformation import cloudformation_backends

    stack = cloudformation_backends[account_id][region_name].get_stack(stack_id)
    stack.add_custom_resource(resource)
    with _LOCK:
        _RESOURCES[resource_name] = (stack_id, logical_id, resource_type, properties, region_name)
    _queue("Create", stack_id, logical_id, resource_type, properties, region_name)
    return resource


def _update(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
    name = original_resource.resource_name
    with _LOCK:
        known = _RESOURCES.get(name)
    if known is not None:
        stack_id, logical_id, resource_type, old_properties, region = known
        properties = cloudformation_json["Properties"]
        with _LOCK:
            _RESOURCES[name] = (stack_id, logical_id, resource_type, properties, region)
        _queue("Update", stack_id, logical_id, resource_type, properties, region, name, old_properties)
    # Keep the resource and its data, so the stack's GetAtt outputs still resolve.
    return original_resource


def _delete(cls, resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
    with _LOCK:
        known = _RESOURCES.pop(resource_name, None)
    if known is not None:
        stack_id, logical_id, resource_type, properties, region = known
        _queue("Delete", stack_id, logical_id, resource_type, properties, region, resource_name)


CustomModel.create_from_cloudformation_json = classmethod(_create)  # type: ignore[method-assign,assignment]
CustomModel.update_from_cloudformation_json = classmethod(_update)  # type: ignore[method-assign,assignment]
CustomModel.delete_from_cloudformation_json = classmethod(_delete)  # type: ignore[method-assign,assignment]

_original_process_cfn_response = CloudFormationResponse.process_cfn_response


def _process_cfn_response(self):  # type: ignore[no-untyped-def]
    if self._get_param("Status") == "FAILED":
        stack = self.cloudformation_backend.get_stack(self._get_param("StackId"))
        reason = self._get_param("Reason") or "custom resource failed"
        logical_id = self._get_param("LogicalResourceId")
        stack.status = "CREATE_FAILED"
        stack._add_stack_event("CREATE_FAILED", resource_status_reason=f"{logical_id}: {reason}")
        return 200, {"status": 200}, json.dumps("{}")
    return _original_process_cfn_response(self)


CloudFormationResponse.process_cfn_response = _process_cfn_response  # type: ignore[method-assign]


_original_execute_change_set = CloudFormationBackend.execute_change_set


def _execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
    change_set = self.change_sets.get(change_set_name)
    if change_set is None:
        change_set = next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name),
            None,
        )
    if change_set is None or change_set.change_set_type != "CREATE":
        return _original_execute_change_set(self, change_set_name, stack_name)
    stack = self.stacks[change_set.stack_id]
    stack.template = change_set.template
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.parameters = change_set.parameters
    stack.resource_map = stack._create_resource_map()
    stack.output_map = stack._create_output_map()
    stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.create_resources()
    change_set.execution_status = "EXECUTE_COMPLETE"


CloudFormationBackend.execute_change_set = _execute_change_set  # type: ignore[method-assign]


def _pending(request: Any, full_url: str, headers: Any):  # type: ignore[no-untyped-def]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(full_url).query)
    prefix = query.get("stack", [""])[0]
    marker = f":stack/{prefix}"
    with _LOCK:
        taken = [e for e in _PENDING if marker in e["StackId"]]
        _PENDING[:] = [e for e in _PENDING if marker not in e["StackId"]]
    return 200, {"Content-Type": "application/json"}, json.dumps(taken)


def _answer(request: Any, full_url: str, headers: Any):  # type: ignore[no-untyped-def]
    return 200, {}, ""


def _update_rollback(request: Any, full_url: str, headers: Any):  # type: ignore[no-untyped-def]
    from moto.cloudformation import cloudformation_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    query = urllib.parse.parse_qs(urllib.parse.urlparse(full_url).query)
    name = query.get("stack", [""])[0]
    region = query.get("region", ["us-east-1"])[0]
    body = request.data.decode() if getattr(request, "data", None) else "update failed"
    backend = cloudformation_backends[DEFAULT_ACCOUNT_ID][region]
    for stack in backend.stacks.values():
        if stack.name == name:
            stack._add_stack_event("UPDATE_FAILED", resource_status_reason=body)
            stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=body)
            stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
            stack.status = "UPDATE_ROLLBACK_COMPLETE"
            return 200, {}, "{}"
    return 404, {}, json.dumps({"error": f"no stack {name}"})


moto_api_urls.url_paths["{0}/moto-api/fault/update-rollback"] = _update_rollback
moto_api_urls.url_paths["{0}/moto-api/custom-resources/answer"] = _answer
moto_api_urls.url_paths["{0}/moto-api/custom-resources$"] = _pending

if __name__ == "__main__":
    sys.exit(main())
