// The fault kit of dbkit/testing: loopback proxies that make DynamoDB, PostgreSQL and MongoDB fail on purpose.
export { startFaultProxy } from './dynamo-proxy.js';
export type { FaultProxy } from './dynamo-proxy.js';
export { throttleShare } from './dynamo-rules.js';
export type { FaultAction, FaultRule, ThrottleShareOptions } from './dynamo-rules.js';
export { startTcpProxy } from './tcp-proxy.js';
export type { TcpDirection, TcpFaultMode, TcpProxy, TcpProxyOptions } from './tcp-proxy.js';
export { NonLoopbackUpstreamError } from './loopback.js';
export { seededRandom } from './random.js';
