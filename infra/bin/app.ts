// The CDK entry point: `npx cdk synth -c stage=prod`. Each stage mirrors a samconfig.toml section.
// The template's other parameters are context values of the same name in lower camel case:
// `-c allowedOrigins=https://tracker.example.com -c deviceClientIds=ID1,ID2 -c apiReservedConcurrency=0`
// (also callbackUrls, logoutUrls, authDomainPrefix, feedsJson, alarmEmail, freshnessAlarmHours, webAclArn, domainName,
// certificateArn; retentionDays and
// metricsRetentionDays override the stage's).
import { App } from "aws-cdk-lib";
import { TrackerStack, TrackerStackProps } from "../lib/tracker-stack";

type StageSettings = Omit<TrackerStackProps, "stage" | "feedsJson" | "alarmEmail" | "allowedOrigins" | "callbackUrls" | "logoutUrls" | "authDomainPrefix" | "deviceClientIds" | "apiReservedConcurrency" | "freshnessAlarmHours" | "webAclArn" | "domainName" | "certificateArn">;
const STAGES: Record<string, StageSettings> = {
  dev: { ingestSchedule: "rate(15 minutes)", retentionDays: 30, metricsRetentionDays: 7, functionMemorySize: 256, ingestMemorySize: 256, logRetentionDays: 7, deletionProtection: false },
  staging: { ingestSchedule: "rate(5 minutes)", retentionDays: 90, metricsRetentionDays: 30, functionMemorySize: 256, ingestMemorySize: 256, logRetentionDays: 30, deletionProtection: false },
  prod: { ingestSchedule: "rate(5 minutes)", retentionDays: 365, metricsRetentionDays: 90, functionMemorySize: 512, ingestMemorySize: 512, logRetentionDays: 90, deletionProtection: true },
};

const app = new App();
const stage = app.node.tryGetContext("stage") ?? "dev";
const settings = STAGES[stage];
if (!settings) throw new Error(`unknown stage ${stage}: use one of ${Object.keys(STAGES).join(", ")}`);
// Lists come as JSON arrays or comma-separated strings (`-c allowedOrigins=https://a,https://b`),
// like the template's CommaDelimitedList parameters; the defaults are the template's.
const list = (key: string, fallback: string[]): string[] => {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return fallback;
  const items = Array.isArray(value) ? value.map(String) : String(value).split(",");
  return items.map((item) => item.trim()).filter((item) => item !== "");
};
// A whole number >= 0 from the context, or the fallback.
const count = (key: string, fallback: number): number => {
  const value = Number(app.node.tryGetContext(key) ?? fallback);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${key} must be a whole number >= 0, not ${value}`);
  return value;
};
if (app.node.tryGetContext("domainName") && !app.node.tryGetContext("certificateArn")) {
  throw new Error("a custom domainName needs the ACM certificateArn (us-east-1) that covers it");
}
new TrackerStack(app, `nba-tracker-${stage}`, {
  stage,
  ...settings,
  retentionDays: count("retentionDays", settings.retentionDays),
  metricsRetentionDays: count("metricsRetentionDays", settings.metricsRetentionDays),
  feedsJson: app.node.tryGetContext("feedsJson") ?? "",
  alarmEmail: app.node.tryGetContext("alarmEmail"),
  allowedOrigins: list("allowedOrigins", ["http://localhost:3000"]),
  callbackUrls: list("callbackUrls", ["http://localhost:3000/"]),
  logoutUrls: list("logoutUrls", ["http://localhost:3000/"]),
  authDomainPrefix: app.node.tryGetContext("authDomainPrefix") || undefined,
  deviceClientIds: list("deviceClientIds", []),
  apiReservedConcurrency: count("apiReservedConcurrency", 10),
  freshnessAlarmHours: count("freshnessAlarmHours", 12),
  webAclArn: app.node.tryGetContext("webAclArn") || undefined,
  domainName: app.node.tryGetContext("domainName") || undefined,
  certificateArn: app.node.tryGetContext("certificateArn") || undefined,
});
