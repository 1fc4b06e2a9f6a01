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
 * - Integer lists reach rclnodejs's Parameter class as plain numbers or a typed array, which its own
 *   type check refuses: an integer list anywhere in a parameter file (`offsets: [20, 40]`, in any
 *   node's section) makes the Node constructor throw "Type mismatch for parameter ... expected 7,
 *   got object" before the node can say anything. Parameter values of integer-list type are turned
 *   into the bigint list that check expects.
 * - On Humble and older, rcl_node_init registers the node's /rosout publisher itself; rclnodejs
 *   registers it a second time, and rcl warns "Publisher already registered for provided node
 *   name" at every start. There the node is created with rclnodejs's registration switched off.
 */
import { errorMessage } from '../../errors.js';
import { suggestKey } from '../../config/suggest.js';
import { PARAMETER_KEYS, ParameterType } from '../params/parameters.js';
import type { RclNode, RclNodeOptions, RclParameter, RclPublisher, RclSetParametersResult, Rclnodejs } from './rclnodejs_api.js';

/** Distributions whose rcl_node_init creates the /rosout publisher (it moved out of rcl after Humble). */
const RCL_REGISTERS_ROSOUT = ['foxy', 'galactic', 'humble'];

/** Node options that keep rosout registered once. */
export function nodeOptions(env: NodeJS.ProcessEnv = process.env): RclNodeOptions {
  return RCL_REGISTERS_ROSOUT.includes(env.ROS_DISTRO ?? '') ? { enableRosout: false } : {};
}

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

const toBigInt = (v: unknown): bigint => (typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));

interface ParameterPrototype {
  _type: number;
  _value: unknown;
  validate(): void;
}

const patched = new WeakSet<object>();

/** Let rclnodejs's Parameter take integer lists in any array form (see the file comment). Call before creating nodes. */
export function acceptIntegerLists(rcl: Rclnodejs): boolean {
  const proto = (rcl.Parameter as unknown as { prototype?: ParameterPrototype }).prototype;
  if (!proto || typeof proto.validate !== 'function' || patched.has(proto)) return false;
  const validate = proto.validate;
  proto.validate = function (this: ParameterPrototype): void {
    if (this._type === ParameterType.INTEGER_ARRAY && this._value !== null && typeof this._value === 'object') {
      this._value = Array.from(this._value as ArrayLike<unknown>, toBigInt);
    }
    validate.call(this);
  };
  patched.add(proto);
  return true;
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
  if (value.type === ParameterType.INTEGER && typeof value.integer_value !== 'bigint') value.integer_value = toBigInt(value.integer_value);
  if (value.type === ParameterType.INTEGER_ARRAY && value.integer_array_value) value.integer_array_value = Array.from(value.integer_array_value, toBigInt);
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
