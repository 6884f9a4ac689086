// The client's failures: a stable code to match on (callers such as the CLI map it to their own errors).

export type ClientErrorCode =
  | 'connect-failed' // the socket never opened
  | 'closed' // the node closed the socket while we waited
  | 'rejected' // the node refused the broadcast (reason from the node's verdict)
  | 'timeout'
  | 'aborted'
  | 'bad-reply'; // the node answered something we cannot use

export class ClientError extends Error {
  override readonly name = 'ClientError';
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** For `rejected`: the node's reason (a RejectReason such as 'clock-skew'). */
    readonly reason?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
