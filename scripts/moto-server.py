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
  are executed as CreateStack executes a template (the flow above, outputs included). A change
  set whose stack was deleted meanwhile is unknown (`ChangeSetNotFound`), as in CloudFormation,
  where moto's own code fails with HTTP 500.
- Rollbacks. moto never rolls a stack back. `POST /moto-api/fault/update-rollback?stack=<name>`
  with the failure's reason as the body makes the stack look like an update that failed and
  rolled back cleanly (an UPDATE_FAILED event with the reason, then UPDATE_ROLLBACK_COMPLETE),
  so the deployer's handling of a clean rollback can be tested.
- Stacks stuck as CloudFormation leaves them. `POST /moto-api/fault/update-rollback-failed?
  stack=<name>&resource=<logical id>` (reason as the body) makes the stack an update whose rollback
  failed on that resource: UPDATE_FAILED, UPDATE_ROLLBACK_IN_PROGRESS, the resource's
  UPDATE_FAILED with the reason, then UPDATE_ROLLBACK_FAILED. `POST /moto-api/fault/delete-failed?
  stack=<name>&resource=<logical id>` makes it a delete that failed on that resource
  (DELETE_IN_PROGRESS, the resource's DELETE_FAILED, DELETE_FAILED), and the resource keeps
  failing every later DeleteStack until a DeleteStack retains it.
- ContinueUpdateRollback and DeleteStack's RetainResources, which moto lacks or ignores, as the
  CloudFormation API reference describes them: ContinueUpdateRollback is accepted only from
  UPDATE_ROLLBACK_FAILED (a ValidationError otherwise) and completes the rollback
  (UPDATE_ROLLBACK_IN_PROGRESS, UPDATE_ROLLBACK_COMPLETE); RetainResources is accepted only
  for a stack in DELETE_FAILED (a ValidationError otherwise), and each retained resource gets
  a DELETE_SKIPPED event.
- ClientRequestToken. moto accepts the token of ExecuteChangeSet, CreateStack, UpdateStack,
  DeleteStack and ContinueUpdateRollback but drops it. As in CloudFormation, every stack event
  an operation causes (including the ones that arrive later, such as a custom resource's
  answer completing a create) carries that operation's token in `ClientRequestToken`; an
  operation started without one leaves it empty.
- Injected faults in any AWS call, for the failures moto never produces. Each fault affects
  the next `count` calls (default 1) of one action, the request's `Action` parameter or the
  operation in its `X-Amz-Target` header (`ExecuteChangeSet`, `PutItem`...), optionally only
  those whose request (URL and body) contains the text `match` (a stack or table name: the
  tests share one server):
  `POST /moto-api/fault/delay?action=<action>&seconds=<s>[&count=<n>][&match=<text>]` holds
  each matching call for that long before moto handles it (the call then proceeds normally);
  `POST /moto-api/fault/fail?action=<action>&code=<code>&message=<text>[&status=<http status,
  400>][&count=<n>][&match=<text>]` answers each matching call with that error, in the
  service's own protocol, without handling it;
  `POST /moto-api/fault/garble?action=<action>[&count=<n>][&match=<text>]` handles each matching
  call, then answers 500 with a body holding no XML (the caller cannot tell whether the call
  took effect); `POST /moto-api/fault/drop?...` (same parameters) answers the same without
  handling the call. `POST /moto-api/fault/clear[?match=<text>]`
  forgets the pending faults (those whose `match` contains the text).
- `AWS::Scheduler::Schedule`, which moto's CloudFormation skips (with a warning): here a stack's
  schedules are made in moto's own EventBridge Scheduler backend, in the stack's account and
  region, so ListSchedules and GetSchedule see them. Ref gives the schedule's name and
  `Fn::GetAtt ... Arn` its ARN; without a Name, the name is the stack name, the logical id and a
  random suffix, cut to the 64 characters a schedule name may have. GroupName defaults to
  `default`. An update that changes the Name or GroupName makes the new schedule and deletes the
  old one; any other change updates the schedule in place; deleting the resource deletes the
  schedule (one already gone is no error). StartDate and EndDate, ISO 8601 strings in a
  template, are handed to moto as the API's timestamps.
"""

import copy
import datetime
import json
import re
import sys
import threading
import time
import urllib.parse
from typing import Any

from moto.cloudformation.custom_model import CustomModel
from moto.cloudformation.exceptions import (
    CloudFormationError,
    UnformattedGetAttTemplateException,
    ValidationError,
)
from moto.cloudformation.models import CloudFormationBackend, Event, Stack
from moto.cloudformation.responses import CloudFormationResponse
from moto.cloudformation.utils import random_suffix
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, BaseResponse, EmptyResult
from moto.moto_api._internal import urls as moto_api_urls
from moto.moto_api._internal import mock_random
from moto.scheduler.exceptions import ScheduleGroupNotFound, ScheduleNotFound
from moto.scheduler.models import scheduler_backends
from moto.server import main

_LOCK = threading.Lock()
_PENDING: list[dict[str, Any]] = []
# physical id -> (stack id, logical id, resource type, properties, region)
_RESOURCES: dict[str, tuple[str, str, str, dict[str, Any], str]] = {}
# (stack id, logical id) -> the PhysicalResourceId the function answered, which CloudFormation
# sends in the resource's later Update and Delete requests.
_ANSWERED: dict[tuple[str, str], str] = {}
# RequestId of an Update or Delete the stack waits for -> (request type, stack id, region)
_AWAITED: dict[str, tuple[str, str, str]] = {}


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
    if old_properties is not None:
        event["OldResourceProperties"] = old_properties
    with _LOCK:
        if physical_id is not None:
            event["PhysicalResourceId"] = _ANSWERED.get((stack_id, logical_id), physical_id)
        if request_type != "Create":
            _AWAITED[event["RequestId"]] = (request_type, stack_id, region)
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
    if self._get_param("Status") == "SUCCESS" and self._get_param("PhysicalResourceId"):
        with _LOCK:
            _ANSWERED[(self._get_param("StackId"), self._get_param("LogicalResourceId"))] = self._get_param("PhysicalResourceId")
    if self._get_param("Status") == "FAILED":
        stack = self.cloudformation_backend.get_stack(self._get_param("StackId"))
        if stack.status != "CREATE_IN_PROGRESS":
            # A late answer to a create the stack no longer waits for (it failed already, or
            # was deleted since): CloudFormation ignores it.
            return 200, {"status": 200}, json.dumps("{}")
        reason = self._get_param("Reason") or "custom resource failed"
        logical_id = self._get_param("LogicalResourceId")
        stack.status = "CREATE_FAILED"
        stack._add_stack_event("CREATE_FAILED", resource_status_reason=f"{logical_id}: {reason}")
        return 200, {"status": 200}, json.dumps("{}")
    return _original_process_cfn_response(self)


CloudFormationResponse.process_cfn_response = _process_cfn_response  # type: ignore[method-assign]


_original_execute_change_set = CloudFormationBackend.execute_change_set


class _ChangeSetNotFound(CloudFormationError):
    code = "ChangeSetNotFound"

    def __init__(self, name: str):
        super().__init__(f"ChangeSet [{name}] does not exist")


def _execute_change_set(self, change_set_name, stack_name=None):  # type: ignore[no-untyped-def]
    change_set = self.change_sets.get(change_set_name)
    if change_set is None:
        change_set = next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name),
            None,
        )
    if change_set is not None and change_set.stack_id not in self.stacks:
        # Deleting a stack deletes its change sets: CloudFormation answers as for any unknown one.
        raise _ChangeSetNotFound(change_set_name)
    if change_set is None or change_set.change_set_type != "CREATE":
        _original_execute_change_set(self, change_set_name, stack_name)
        stack = self.stacks.get(change_set.stack_id) if change_set is not None else None
        if stack is not None and _awaits(stack.stack_id) and stack.status == "UPDATE_COMPLETE":
            if stack.events and stack.events[-1].resource_status == "UPDATE_COMPLETE":
                stack.events.pop()
            stack.status = "UPDATE_IN_PROGRESS"
        return None
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


def _backend_stack(stack_id: str, region: str) -> Any:
    from moto.cloudformation import cloudformation_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    backend = cloudformation_backends[DEFAULT_ACCOUNT_ID][region]
    return backend, backend.stacks.get(stack_id)


def _answer(request: Any, full_url: str, headers: Any):  # type: ignore[no-untyped-def]
    """An Update's or Delete's answer: the stack, which waited for it, goes on."""
    try:
        answer = json.loads(request.data or b"{}")
    except ValueError:
        return 400, {}, json.dumps({"error": "the answer is not JSON"})
    with _LOCK:
        awaited = _AWAITED.pop(answer.get("RequestId", ""), None)
        if awaited is not None and answer.get("Status") == "SUCCESS" and awaited[0] == "Update":
            _ANSWERED[(answer.get("StackId"), answer.get("LogicalResourceId"))] = answer.get("PhysicalResourceId")
        still = awaited is not None and any(a[1] == awaited[1] for a in _AWAITED.values())
    if awaited is None or still:
        return 200, {}, ""
    kind, stack_id, region = awaited
    backend, stack = _backend_stack(stack_id, region)
    if stack is None or stack.status != f"{kind.upper()}_IN_PROGRESS":
        return 200, {}, ""  # the stack moved on (a fault ended its operation): a late answer
    reason = f"{answer.get('LogicalResourceId')}: {answer.get('Reason') or 'custom resource failed'}"
    if kind == "Update" and answer.get("Status") == "SUCCESS":
        stack._add_stack_event("UPDATE_COMPLETE")
        stack.status = "UPDATE_COMPLETE"
    elif kind == "Update":
        stack._add_stack_event("UPDATE_FAILED", resource_status_reason=reason)
        stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
        stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
        stack.status = "UPDATE_ROLLBACK_COMPLETE"
    elif answer.get("Status") == "SUCCESS":
        stack.lisa_answered_delete = True
        backend.delete_stack(stack_id)
    else:
        stack._add_stack_event("DELETE_FAILED", resource_status_reason=reason)
        stack.status = "DELETE_FAILED"
    return 200, {}, ""


def _awaits(stack_id: str) -> bool:
    with _LOCK:
        return any(a[1] == stack_id for a in _AWAITED.values())


def _forget_awaited(stack_id: str) -> None:
    """A fault ended the stack's operation: it waits for no answer any more."""
    with _LOCK:
        for request_id in [r for r, a in _AWAITED.items() if a[1] == stack_id]:
            _AWAITED.pop(request_id)


_original_stack_update = Stack.update


def _stack_update(self, *args, **kwargs):  # type: ignore[no-untyped-def]
    """As CloudFormation, an update that changed a custom resource waits for its answer."""
    _original_stack_update(self, *args, **kwargs)
    if _awaits(self.stack_id) and self.events and self.events[-1].resource_status == "UPDATE_COMPLETE":
        self.events.pop()
        self.status = "UPDATE_IN_PROGRESS"


Stack.update = _stack_update  # type: ignore[method-assign]


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
            _forget_awaited(stack.stack_id)
            stack._add_stack_event("UPDATE_FAILED", resource_status_reason=body)
            stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=body)
            stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
            stack.status = "UPDATE_ROLLBACK_COMPLETE"
            return 200, {}, "{}"
    return 404, {}, json.dumps({"error": f"no stack {name}"})


moto_api_urls.url_paths["{0}/moto-api/fault/update-rollback"] = _update_rollback

# ---- ClientRequestToken: every event of an operation carries the operation's token ----

# The actions that start a stack operation, and so set the token its events carry.
_TOKENED_ACTIONS = {"ExecuteChangeSet", "CreateStack", "UpdateStack", "DeleteStack", "ContinueUpdateRollback"}

_original_add_stack_event = Stack._add_stack_event


def _add_stack_event(self, resource_status, resource_status_reason=None, resource_properties=None):  # type: ignore[no-untyped-def]
    _original_add_stack_event(self, resource_status, resource_status_reason, resource_properties)
    self.events[-1].client_request_token = getattr(self, "lisa_token", None)


Stack._add_stack_event = _add_stack_event  # type: ignore[method-assign]


def _resource_event(stack: Any, logical_id: str, resource_type: str, status: str, reason: str | None) -> None:
    """Appends an event of one resource of the stack (moto records only the stack's own)."""
    event = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=logical_id,
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    event.client_request_token = getattr(stack, "lisa_token", None)
    stack.events.append(event)


def _resource_type(stack: Any, logical_id: str) -> str:
    resource = stack.template_dict.get("Resources", {}).get(logical_id, {})
    return resource.get("Type", "AWS::CloudFormation::CustomResource") if isinstance(resource, dict) else ""


def _stack_of(response: Any) -> Any:
    """The stack a CloudFormation request names (by name or id), or None."""
    name = response._get_param("StackName")
    if not name:
        return None
    try:
        return response.cloudformation_backend.get_stack(name)
    except Exception:  # noqa: BLE001 - moto's own error for an unknown stack follows
        return None


# ---- ContinueUpdateRollback and RetainResources ----


def _refuse(message: str) -> None:
    raise ValidationError(message=message)


def _continue_update_rollback(self):  # type: ignore[no-untyped-def]
    stack = _stack_of(self)
    if stack is None:
        _refuse(f"Stack [{self._get_param('StackName')}] does not exist")
    if stack.status != "UPDATE_ROLLBACK_FAILED":
        _refuse(
            f"Stack [{stack.name}] is in {stack.status} state and can not continue update rollback"
        )
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason="User Initiated")
    for logical_id in self._get_param("ResourcesToSkip") or []:
        _resource_event(stack, logical_id, _resource_type(stack, logical_id), "UPDATE_COMPLETE", "Resource skipped during rollback")
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    return EmptyResult()


CloudFormationResponse.continue_update_rollback = _continue_update_rollback  # type: ignore[attr-defined]


def _delete_stack(self):  # type: ignore[no-untyped-def]
    stack = _stack_of(self)
    retain = list(self._get_param("RetainResources") or [])
    if stack is None or stack.status == "DELETE_COMPLETE":
        return EmptyResult()  # CloudFormation: deleting a missing stack succeeds
    if retain and stack.status != "DELETE_FAILED":
        _refuse(
            "Invalid operation on stack "
            f"[{stack.stack_id}]. Retaining resources is only possible for stacks in DELETE_FAILED state"
        )
    stuck = [r for r in getattr(stack, "lisa_undeletable", []) if r not in retain]
    if stuck:
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        for logical_id in stuck:
            _resource_event(stack, logical_id, _resource_type(stack, logical_id), "DELETE_FAILED", stack.lisa_undeletable[logical_id])
        stack._add_stack_event(
            "DELETE_FAILED",
            resource_status_reason=f"The following resource(s) failed to delete: [{', '.join(stuck)}]. ",
        )
        stack.status = "DELETE_FAILED"
        return EmptyResult()
    for logical_id in retain:
        _resource_event(stack, logical_id, _resource_type(stack, logical_id), "DELETE_SKIPPED", None)
    if stack.status == "DELETE_IN_PROGRESS":
        return EmptyResult()  # waiting for its custom resources already
    with _LOCK:
        custom = [(name, r) for name, r in _RESOURCES.items() if r[0] == stack.stack_id and r[1] not in retain]
        for name, _ in custom:
            _RESOURCES.pop(name)
    if custom:
        # As CloudFormation: the stack is deleted once its custom resources answered.
        stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.status = "DELETE_IN_PROGRESS"
        for name, (stack_id, logical_id, resource_type, properties, region) in custom:
            _queue("Delete", stack_id, logical_id, resource_type, properties, region, name)
        return EmptyResult()
    self.cloudformation_backend.delete_stack(stack.stack_id)
    return EmptyResult()


CloudFormationResponse.delete_stack = _delete_stack  # type: ignore[method-assign]


def _stack_named(full_url: str) -> tuple[Any, dict[str, list[str]]]:
    from moto.cloudformation import cloudformation_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    query = urllib.parse.parse_qs(urllib.parse.urlparse(full_url).query)
    name = query.get("stack", [""])[0]
    region = query.get("region", ["us-east-1"])[0]
    for stack in cloudformation_backends[DEFAULT_ACCOUNT_ID][region].stacks.values():
        if stack.name == name:
            return stack, query
    return None, query


def _update_rollback_failed(request: Any, full_url: str, headers: Any):  # type: ignore[no-untyped-def]
    stack, query = _stack_named(full_url)
    if stack is None:
        return 404, {}, json.dumps({"error": "no such stack"})
    reason = request.data.decode() if getattr(request, "data", None) else "rollback failed"
    logical_id = query.get("resource", ["Resource"])[0]
    _forget_awaited(stack.stack_id)
    stack._add_stack_event("UPDATE_FAILED", resource_status_reason=reason)
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
    _resource_event(stack, logical_id, _resource_type(stack, logical_id), "UPDATE_FAILED", reason)
    stack._add_stack_event(
        "UPDATE_ROLLBACK_FAILED",
        resource_status_reason=f"The following resource(s) failed to update: [{logical_id}]. ",
    )
    stack.status = "UPDATE_ROLLBACK_FAILED"
    return 200, {}, "{}"


def _delete_failed(request: Any, full_url: str, headers: Any):  # type: ignore[no-untyped-def]
    stack, query = _stack_named(full_url)
    if stack is None:
        return 404, {}, json.dumps({"error": "no such stack"})
    reason = request.data.decode() if getattr(request, "data", None) else "delete failed"
    logical_id = query.get("resource", ["Resource"])[0]
    if not hasattr(stack, "lisa_undeletable"):
        stack.lisa_undeletable = {}
    stack.lisa_undeletable[logical_id] = reason
    stack.lisa_token = None
    stack._add_stack_event("DELETE_IN_PROGRESS", resource_status_reason="User Initiated")
    _resource_event(stack, logical_id, _resource_type(stack, logical_id), "DELETE_FAILED", reason)
    stack._add_stack_event(
        "DELETE_FAILED",
        resource_status_reason=f"The following resource(s) failed to delete: [{logical_id}]. ",
    )
    stack.status = "DELETE_FAILED"
    return 200, {}, "{}"


# ---- AWS::Scheduler::Schedule ----


def _schedule_name(stack_name: str, logical_id: str) -> str:
    """CloudFormation's name for a resource without one, kept to a schedule name's 64 characters."""
    suffix = random_suffix()
    prefix = re.sub(r"[^0-9a-zA-Z_.-]", "", f"{stack_name}-{logical_id}")
    return f"{prefix[: 64 - len(suffix) - 1]}-{suffix}"


def _timestamp(date: str | None) -> float | None:
    """A template's date (ISO 8601, in UTC unless it says otherwise) as the API's timestamp."""
    if not date:
        return None
    moment = datetime.datetime.fromisoformat(date)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _schedule_arguments(properties: dict[str, Any]) -> dict[str, Any]:
    """The template's properties as the arguments of moto's create_schedule and update_schedule."""
    window = copy.deepcopy(properties["FlexibleTimeWindow"])
    target = copy.deepcopy(properties["Target"])  # moto adds a default RetryPolicy to it
    # Numbers may come as strings (from parameters, say); CloudFormation converts them.
    for values, key in [
        (window, "MaximumWindowInMinutes"),
        (target.get("RetryPolicy", {}), "MaximumEventAgeInSeconds"),
        (target.get("RetryPolicy", {}), "MaximumRetryAttempts"),
    ]:
        if key in values:
            values[key] = int(values[key])
    return {
        "description": properties.get("Description"),
        "schedule_expression": properties["ScheduleExpression"],
        "schedule_expression_timezone": properties.get("ScheduleExpressionTimezone"),
        "flexible_time_window": window,
        "target": target,
        "state": properties.get("State", "ENABLED"),
        "kms_key_arn": properties.get("KmsKeyArn"),
        "start_date": _timestamp(properties.get("StartDate")),
        "end_date": _timestamp(properties.get("EndDate")),
    }


class _Schedule(CloudFormationModel):
    """A stack's schedule. The schedule itself is kept by moto's scheduler backend."""

    __module__ = "moto.scheduler.models"  # moto files each model under the service its module names

    def __init__(self, account_id: str, region: str, stack_name: str, schedule: Any, named: bool):
        self.account_id = account_id
        self.region = region
        self.stack_name = stack_name
        self.group = schedule.group_name
        self.name = schedule.name
        self.arn = schedule.arn
        self.named = named  # the template gave the Name (else it was made up)

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Scheduler::Schedule"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    @property
    def physical_resource_id(self) -> str:
        return self.name

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    def is_created(self) -> bool:
        return True

    @classmethod
    def _make(
        cls, account_id: str, region: str, stack_name: str, logical_id: str, properties: dict[str, Any]
    ) -> "_Schedule":
        backend = scheduler_backends[account_id][region]
        group = properties.get("GroupName") or "default"
        backend.get_schedule_group(group)  # moto's create_schedule fails with a KeyError
        name = properties.get("Name") or _schedule_name(stack_name, logical_id)
        schedule = backend.create_schedule(
            name=name, group_name=group, action_after_completion=None, **_schedule_arguments(properties)
        )
        return cls(account_id, region, stack_name, schedule, named="Name" in properties)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):  # type: ignore[no-untyped-def]
        stack_name = kwargs["StackId"].split("/")[1]  # arn:...:stack/<name>/<id>
        properties = cloudformation_json["Properties"]
        return cls._make(account_id, region_name, stack_name, kwargs["LogicalId"], properties)

    @classmethod
    def update_from_cloudformation_json(cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name):  # type: ignore[no-untyped-def]
        old = original_resource
        properties = cloudformation_json["Properties"]
        # Without a Name a made-up name stays; dropping the template's Name makes up a new one.
        name = properties.get("Name") or (None if old.named else old.name)
        if (name, properties.get("GroupName") or "default") != (old.name, old.group):
            new = cls._make(old.account_id, old.region, old.stack_name, old.logical_resource_id, properties)
            old.delete(old.account_id, old.region)
            return new
        scheduler_backends[old.account_id][old.region].update_schedule(
            name=old.name, group_name=old.group, **_schedule_arguments(properties)
        )
        return old

    def delete(self, account_id: str, region_name: str) -> None:
        """Called by moto's stack for a deleted resource (before delete_from_cloudformation_json)."""
        try:
            scheduler_backends[self.account_id][self.region].delete_schedule(self.group, self.name)
        except (ScheduleNotFound, ScheduleGroupNotFound):
            pass  # already gone: not an error for CloudFormation


# ---- Injected faults ----

_FAULTS: list[dict[str, Any]] = []


def _add_fault(kind: str):  # type: ignore[no-untyped-def]
    def route(request: Any, full_url: str, headers: Any):  # type: ignore[no-untyped-def]
        query = urllib.parse.parse_qs(urllib.parse.urlparse(full_url).query)
        one = lambda name, default=None: query.get(name, [default])[0]  # noqa: E731
        action = one("action")
        if not action:
            return 400, {}, json.dumps({"error": "action is required"})
        try:
            fault = {
                "kind": kind,
                "action": action,
                "match": one("match", ""),
                "count": int(one("count", "1")),
                "seconds": float(one("seconds", "0")),
                "code": one("code", "InternalFailure"),
                "message": one("message", "injected fault"),
                "status": int(one("status", "400")),
            }
        except ValueError as error:
            return 400, {}, json.dumps({"error": str(error)})
        with _LOCK:
            _FAULTS.append(fault)
        return 200, {"Content-Type": "application/json"}, json.dumps(fault)

    return route


def _clear_faults(request: Any, full_url: str, headers: Any):  # type: ignore[no-untyped-def]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(full_url).query)
    text = query.get("match", [""])[0]
    with _LOCK:
        _FAULTS[:] = [f for f in _FAULTS if text not in f["match"]] if text else []
    return 200, {}, "{}"


def _take_fault(action: str, request_text: str) -> dict[str, Any] | None:
    with _LOCK:
        for fault in _FAULTS:
            if fault["action"] == action and fault["match"] in request_text:
                fault["count"] -= 1
                if fault["count"] <= 0:
                    _FAULTS.remove(fault)
                return fault
    return None


class _InjectedFault(ServiceException):
    pass


def _original_dispatch_action(response: Any, action: str) -> None:
    """Handles the call as usual (token included), for a fault that only loses the answer."""
    if action in _TOKENED_ACTIONS and isinstance(response, CloudFormationResponse):
        stack = _stack_of(response)
        if stack is not None:
            stack.lisa_token = response._get_param("ClientRequestToken")
    response.call_action()


_original_dispatch = BaseResponse._dispatch


def _dispatch(self, request, full_url=None, headers=None):  # type: ignore[no-untyped-def]
    self.setup_class(request, full_url, headers)
    action = self._get_action() or ""
    if _FAULTS:
        body = self.body.decode(errors="replace") if isinstance(self.body, bytes) else str(self.body or "")
        fault = _take_fault(action, f"{urllib.parse.unquote_plus(full_url or '')} {self.querystring} {body}")
        if fault is not None:
            if fault["kind"] == "delay":
                time.sleep(fault["seconds"])
            elif fault["kind"] in ("garble", "drop"):
                if fault["kind"] == "garble":
                    _original_dispatch_action(self, action)
                # A failure the service could not describe: a 500 whose body holds no XML.
                return 500, {"Content-Type": "text/xml"}, "\n"
            else:
                error = _InjectedFault(fault["code"], fault["message"])
                status, response_headers, text = self.serialized(ActionResult(error))
                return fault["status"], response_headers, text
    if action not in _TOKENED_ACTIONS or not isinstance(self, CloudFormationResponse):
        return self.call_action()
    token = self._get_param("ClientRequestToken")
    stack = _stack_of(self)
    if stack is not None:
        stack.lisa_token = token
    answer = self.call_action()
    stack = stack or _stack_of(self)
    if stack is not None and getattr(stack, "lisa_token", None) != token:
        # A new stack (CreateStack): its first events were written before it could be found.
        stack.lisa_token = token
        for event in stack.events:
            event.client_request_token = token
    return answer


BaseResponse._dispatch = _dispatch  # type: ignore[method-assign]

moto_api_urls.url_paths["{0}/moto-api/fault/delay"] = _add_fault("delay")
moto_api_urls.url_paths["{0}/moto-api/fault/fail"] = _add_fault("fail")
moto_api_urls.url_paths["{0}/moto-api/fault/garble"] = _add_fault("garble")
moto_api_urls.url_paths["{0}/moto-api/fault/drop"] = _add_fault("drop")
moto_api_urls.url_paths["{0}/moto-api/fault/clear"] = _clear_faults
moto_api_urls.url_paths["{0}/moto-api/fault/update-rollback-failed"] = _update_rollback_failed
moto_api_urls.url_paths["{0}/moto-api/fault/delete-failed"] = _delete_failed
moto_api_urls.url_paths["{0}/moto-api/custom-resources/answer"] = _answer
moto_api_urls.url_paths["{0}/moto-api/custom-resources$"] = _pending

if __name__ == "__main__":
    sys.exit(main())
