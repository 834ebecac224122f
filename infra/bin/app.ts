// The CDK entry point: `npx cdk synth -c stage=prod`. Each stage mirrors a samconfig.toml section.
import { App } from "aws-cdk-lib";
import { TrackerStack, TrackerStackProps } from "../lib/tracker-stack";

const STAGES: Record<string, Omit<TrackerStackProps, "stage">> = {
  dev: { ingestSchedule: "rate(15 minutes)", retentionDays: 30, metricsRetentionDays: 7, functionMemorySize: 256, ingestMemorySize: 256, logRetentionDays: 7, deletionProtection: false },
  staging: { ingestSchedule: "rate(5 minutes)", retentionDays: 90, metricsRetentionDays: 30, functionMemorySize: 256, ingestMemorySize: 256, logRetentionDays: 30, deletionProtection: false },
  prod: { ingestSchedule: "rate(5 minutes)", retentionDays: 365, metricsRetentionDays: 90, functionMemorySize: 512, ingestMemorySize: 512, logRetentionDays: 90, deletionProtection: true },
};

const app = new App();
const stage = app.node.tryGetContext("stage") ?? "dev";
const settings = STAGES[stage];
if (!settings) throw new Error(`unknown stage ${stage}: use one of ${Object.keys(STAGES).join(", ")}`);
new TrackerStack(app, `nba-tracker-${stage}`, {
  stage,
  ...settings,
  feedsJson: app.node.tryGetContext("feedsJson") ?? "",
  alarmEmail: app.node.tryGetContext("alarmEmail"),
});
