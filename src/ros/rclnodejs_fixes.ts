/**
 * Workarounds for rclnodejs 2.2 defects that users of the node would otherwise hit. Each reaches
 * into rclnodejs's private members (checked to exist; without them the node runs as before) and
 * should be removed once rclnodejs fixes the defect (to be reported upstream, RobotWebTools/rclnodejs):
 *
 * - Parameter events go to `parameter_events` relative to the node's namespace, so a node in
 *   /robot1 publishes on /robot1/parameter_events; rclcpp and rclpy (and every monitoring tool)
 *   use the absolute /parameter_events.
 * - The ~/set_parameters services build rclnodejs Parameter objects from the request before any
 *   callback runs; an integer list (`ros2 param set ... "[10, 20]"`) arrives as plain numbers,
 *   fails rclnodejs's own type check and the exception escapes the service callback: the process
 *   aborts (`terminate called after throwing an instance of 'Napi::Error'`) and the client hangs.
 *   An undeclared name is answered with rclnodejs's own wording. The handlers below convert the
 *   values safely, answer unknown names with the node's reason, and never throw.
 */
import { errorMessage } from '../errors.js';
import { suggestKey } from '../config/suggest.js';
import { PARAMETER_KEYS, ParameterType } from './parameters.js';
import type { RclNode, RclParameter, RclPublisher, RclSetParametersResult, Rclnodejs } from './rclnodejs_api.js';

const PARAMETER_EVENT_TYPE = 'rcl_interfaces/msg/ParameterEvent';

interface ParameterValueMsg {
  type: number;
  integer_value?: unknown;
  integer_array_value?: ArrayLike<unknown>;
  [field: string]: unknown;
}
interface ParameterMsg {
  name: string;
  value: ParameterValueMsg;
}
interface ServiceResponse {
  template: Record<string, unknown>;
  send(message: object): void;
}
type Handler = (request: { parameters: ParameterMsg[] }, response: ServiceResponse) => void;

interface NodeInternals {
  _parameterEventPublisher?: RclPublisher | null;
  _parameterService?: { _handleSetParameters?: Handler; _handleSetParametersAtomically?: Handler } | null;
  setParameters?(parameters: RclParameter[]): RclSetParametersResult[];
  setParametersAtomically?(parameters: RclParameter[]): RclSetParametersResult;
}

interface ParameterClass {
  fromParameterMessage?(message: ParameterMsg): RclParameter;
}

/** Publish parameter events on the absolute /parameter_events. Returns whether the fix applied. */
export function useAbsoluteParameterEvents(node: RclNode): boolean {
  const internals = node as unknown as NodeInternals;
  const old = internals._parameterEventPublisher;
  if (!old || old.topic === '/parameter_events') return false;
  internals._parameterEventPublisher = node.createPublisher(PARAMETER_EVENT_TYPE, '/parameter_events');
  node.destroyPublisher(old);
  return true;
}

/** Integer values as bigint (rclnodejs's Parameter type requires it; plain numbers arrive). */
function normalized(message: ParameterMsg): ParameterMsg {
  const value = { ...message.value };
  if (value.type === ParameterType.INTEGER && typeof value.integer_value !== 'bigint') value.integer_value = BigInt(Math.trunc(Number(value.integer_value)));
  if (value.type === ParameterType.INTEGER_ARRAY && value.integer_array_value) value.integer_array_value = Array.from(value.integer_array_value, (v) => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)))));
  return { name: message.name, value };
}

function unknownReason(name: string): string {
  const hint = suggestKey(name, PARAMETER_KEYS);
  return `${name} is not a parameter of this node${hint ? ` (did you mean ${hint}?)` : ''}`;
}

/** Replace the set-parameters service handlers by ones that never throw. Returns whether the fix applied. */
export function safeSetParameterServices(rcl: Rclnodejs, node: RclNode): boolean {
  const internals = node as unknown as NodeInternals;
  const service = internals._parameterService;
  const Parameter = rcl.Parameter as unknown as ParameterClass;
  if (!service || !service._handleSetParameters || !Parameter.fromParameterMessage || !internals.setParameters || !internals.setParametersAtomically) return false;
  const toParameter = (message: ParameterMsg): RclParameter | RclSetParametersResult => {
    if (!node.hasParameter(message.name)) return { successful: false, reason: unknownReason(message.name) };
    try {
      return Parameter.fromParameterMessage!(normalized(message));
    } catch (error) {
      return { successful: false, reason: `${message.name}: ${errorMessage(error)}` };
    }
  };
  const isResult = (p: RclParameter | RclSetParametersResult): p is RclSetParametersResult => 'successful' in p;
  const answer = (response: ServiceResponse, fill: (msg: Record<string, unknown>) => void): void => {
    try {
      const msg = response.template;
      fill(msg);
      response.send(msg);
    } catch {
      // A reply that cannot be sent must not take the node down either.
    }
  };
  service._handleSetParameters = (request, response) => {
    answer(response, (msg) => {
      msg['results'] = request.parameters.map((message) => {
        const parameter = toParameter(message);
        if (isResult(parameter)) return parameter;
        try {
          return internals.setParameters!.call(node, [parameter])[0] ?? { successful: false, reason: 'no result' };
        } catch (error) {
          return { successful: false, reason: `${message.name}: ${errorMessage(error)}` };
        }
      });
    });
  };
  service._handleSetParametersAtomically = (request, response) => {
    answer(response, (msg) => {
      const parameters = request.parameters.map(toParameter);
      const refused = parameters.filter(isResult);
      if (refused.length) {
        msg['result'] = { successful: false, reason: refused.map((r) => r.reason).join('; ') };
        return;
      }
      try {
        msg['result'] = internals.setParametersAtomically!.call(node, parameters as RclParameter[]);
      } catch (error) {
        msg['result'] = { successful: false, reason: errorMessage(error) };
      }
    });
  };
  return true;
}
