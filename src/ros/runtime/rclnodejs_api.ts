/**
 * The part of rclnodejs the node uses, as narrow local types. rclnodejs is an optional dependency
 * that only installs where ROS 2 is sourced, so the project must type-check without its typings;
 * these interfaces also fix places where its typings disagree with its code (subscriptionCount is a
 * getter, integer parameter values are bigint). Only main.ts loads the module itself.
 */

export interface RclTime {
  sec: number;
  nanosec: number;
}

export interface RclLogger {
  debug(message: string): boolean;
  info(message: string): boolean;
  warn(message: string): boolean;
  error(message: string): boolean;
  fatal(message: string): boolean;
  /** rcutils severity of this logger (10 debug, 20 info, 30 warn, 40 error, 50 fatal). */
  readonly loggerEffectiveLevel?: number;
}

export interface RclPublisher {
  readonly topic: string;
  /** A getter in rclnodejs 1.x/2.x (its typings say method). */
  readonly subscriptionCount: number;
  publish(message: object): void;
}

/** createLifecyclePublisher's publishers only send while activated. */
export interface RclLifecyclePublisher extends RclPublisher {
  activate(): void;
  deactivate(): void;
  isActivated(): boolean;
}

export type RclSubscription = object;

export type RclService = object;

export interface RclServiceOptions {
  enableTypedArray?: boolean;
}

export interface RclClient {
  waitForService(timeoutMs?: number): Promise<boolean>;
  sendRequestAsync(request: object, options?: { timeout?: number }): Promise<unknown>;
}

export interface RclTimer {
  cancel(): void;
}

export interface RclParameter {
  readonly name: string;
  readonly type: number;
  value: unknown;
}

export interface RclParameterDescriptor {
  readonly name: string;
  readonly type: number;
  readonly readOnly: boolean;
  toMessage(): object;
  validateParameter(parameter: RclParameter): void;
}

export interface RclSetParametersResult {
  successful: boolean;
  reason: string;
}

export interface RclSubscriptionOptions {
  qos?: RclQoS | string;
  enableTypedArray?: boolean;
}

export interface RclPublisherOptions {
  qos?: RclQoS | string;
}

export interface RclNode {
  name(): string;
  namespace(): string;
  getFullyQualifiedName(): string;
  getLogger(): RclLogger;
  now(): { secondsAndNanoseconds: { seconds: number | bigint; nanoseconds: number | bigint } };
  spin(timeout?: number): void;
  destroy(): void;
  resolveTopicName(topic: string, onlyExpand?: boolean): string;
  countSubscribers(topic: string): number;
  countPublishers(topic: string): number;
  getTopicNamesAndTypes(): { name: string; types: string[] }[];
  createPublisher(typeClass: string, topic: string, options?: RclPublisherOptions): RclPublisher;
  destroyPublisher(publisher: RclPublisher): void;
  createSubscription(typeClass: string, topic: string, options: RclSubscriptionOptions, callback: (message: unknown) => void): RclSubscription;
  destroySubscription(subscription: RclSubscription): void;
  /** The callback's returned (or resolved) plain object is the response. */
  createService(typeClass: string, serviceName: string, options: RclServiceOptions, callback: (request: unknown) => object | Promise<object>): RclService;
  createClient(typeClass: string, serviceName: string): RclClient;
  createTimer(periodNs: bigint, callback: () => void): RclTimer;
  destroyTimer(timer: RclTimer): void;
  declareParameter(parameter: RclParameter, descriptor?: RclParameterDescriptor, ignoreOverride?: boolean): RclParameter;
  getParameter(name: string): RclParameter;
  hasParameter(name: string): boolean;
  addOnSetParametersCallback(callback: (parameters: RclParameter[]) => RclSetParametersResult): void;
}

/** The NodeOptions fields the node sets (a plain object is accepted). */
export interface RclNodeOptions {
  enableRosout?: boolean;
}

export interface RclState {
  readonly id: number;
  readonly label: string;
}

/** lifecycle_msgs ChangeState request as rclnodejs hands it to the service handler. */
export interface ChangeStateRequest {
  transition: { id: number; label: string };
}

export interface RclLifecycleNode extends RclNode {
  readonly currentState: RclState;
  registerOnConfigure(callback: (previous: RclState) => number): void;
  registerOnActivate(callback: (previous: RclState) => number): void;
  registerOnDeactivate(callback: (previous: RclState) => number): void;
  registerOnCleanup(callback: (previous: RclState) => number): void;
  registerOnShutdown(callback: (previous: RclState) => number): void;
  registerOnError(callback: (previous: RclState) => number): void;
  createLifecyclePublisher(typeClass: string, topic: string, options?: RclPublisherOptions): RclLifecyclePublisher;
  /**
   * rclnodejs's handler of the ~/change_state service (private API, 1.x-2.x). Its transition
   * callbacks are synchronous; the node wraps this handler to load models asynchronously first.
   */
  _onChangeState(request: ChangeStateRequest, response: object): unknown;
}

export type RclQoS = object;

export interface RclQoSConstructor {
  new (history?: number, depth?: number, reliability?: number, durability?: number): RclQoS;
  readonly profileSensorData: string;
  readonly HistoryPolicy: { RMW_QOS_POLICY_HISTORY_KEEP_LAST: number };
  readonly ReliabilityPolicy: { RMW_QOS_POLICY_RELIABILITY_RELIABLE: number; RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: number };
  readonly DurabilityPolicy: { RMW_QOS_POLICY_DURABILITY_VOLATILE: number; RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: number };
}

export interface Rclnodejs {
  init(context?: unknown, argv?: string[]): Promise<void>;
  shutdown(): void;
  isShutdown(): boolean;
  removeROSArgs(argv: string[]): string[];
  /** Removes rclnodejs's own SIGINT handler (which shuts all contexts down). */
  removeSignalHandlers?(): void;
  require(name: string): unknown;
  Node: new (name: string, namespace?: string, context?: unknown, options?: RclNodeOptions) => RclNode;
  lifecycle: {
    LifecycleNode: new (name: string, namespace?: string, context?: unknown, options?: RclNodeOptions) => RclLifecycleNode;
    CallbackReturnCode: { SUCCESS: number; FAILURE: number; ERROR: number };
  };
  QoS: RclQoSConstructor;
  Parameter: new (name: string, type: number, value?: unknown) => RclParameter;
  ParameterDescriptor: new (name: string, type: number, description?: string, readOnly?: boolean) => RclParameterDescriptor;
}
