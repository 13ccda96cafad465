// Connects the logger, made before the registry starts, to the alerter, made once the configuration is known:
// the logger's onAlert hook calls the relay, which forwards to whatever is attached (nothing until then).
export type AlertListener = (fields: Record<string, unknown>, message: string) => void;

export class AlertRelay {
  private listener: AlertListener | undefined;

  readonly onAlert: AlertListener = (fields, message) => this.listener?.(fields, message);

  attach(listener: AlertListener | undefined): void {
    this.listener = listener;
  }
}
