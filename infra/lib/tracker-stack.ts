// The NBA Trade Tracker stack, CDK-style: the same functions, routes, schedules, tables, bucket,
// alarms and permissions as template.yaml (a test compares the two).
import * as path from "node:path";
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from "aws-cdk-lib";
import { Construct } from "constructs";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { RustFunction } from "cargo-lambda-cdk";

export interface TrackerStackProps extends StackProps {
  stage: string;
  feedsJson?: string;
  ingestSchedule: string;
  retentionDays: number;
  metricsRetentionDays: number;
  functionMemorySize: number;
  ingestMemorySize: number;
  logRetentionDays: number;
  alarmEmail?: string;
  deletionProtection: boolean;
}

const MANIFEST = path.join(__dirname, "..", "..", "..", "Cargo.toml");
const S = dynamodb.AttributeType.STRING;

export class TrackerStack extends Stack {
  constructor(scope: Construct, id: string, props: TrackerStackProps) {
    super(scope, id, props);
    const { stage } = props;

    // ------------------------------------------------------------ data
    const tableDefaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const news = new dynamodb.Table(this, "NewsTable", { ...tableDefaults, partitionKey: { name: "id", type: S }, timeToLiveAttribute: "expires_at" });
    for (const [indexName, key] of [["by_time", "kind"], ["by_category", "category"], ["by_source", "source"]]) {
      news.addGlobalSecondaryIndex({ indexName, partitionKey: { name: key, type: S }, sortKey: { name: "sort_key", type: S }, projectionType: dynamodb.ProjectionType.ALL });
    }
    const users = new dynamodb.Table(this, "UsersTable", { ...tableDefaults, partitionKey: { name: "user_id", type: S } });
    users.addGlobalSecondaryIndex({ indexName: "by_kind", partitionKey: { name: "kind", type: S }, sortKey: { name: "user_id", type: S }, projectionType: dynamodb.ProjectionType.ALL });
    const metrics = new dynamodb.Table(this, "MetricsTable", {
      ...tableDefaults,
      partitionKey: { name: "device_id", type: S },
      sortKey: { name: "timestamp", type: dynamodb.AttributeType.NUMBER },
      timeToLiveAttribute: "expires_at",
    });

    const archive = new s3.Bucket(this, "ArchiveBucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { id: "expire-raw-archive", prefix: "raw/", expiration: Duration.days(props.retentionDays) },
        { id: "exports-to-infrequent-access", prefix: "exports/", transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) }] },
        { id: "abort-incomplete-uploads", abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    archive.addToResourcePolicy(new iam.PolicyStatement({
      sid: "DenyInsecureTransport",
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"],
      resources: [archive.bucketArn, archive.arnForObjects("raw/*"), archive.arnForObjects("exports/*")],
      conditions: { Bool: { "aws:SecureTransport": "false" } },
    }));

    // ------------------------------------------------------------ functions
    const failed = new sqs.Queue(this, "FailedInvocationsQueue", { retentionPeriod: Duration.days(14), encryption: sqs.QueueEncryption.SQS_MANAGED });
    const environment = { NEWS_TABLE: news.tableName, USERS_TABLE: users.tableName, METRICS_TABLE: metrics.tableName, ARCHIVE_BUCKET: archive.bucketName };
    const rust = (id: string, binaryName: string, extra: Partial<ConstructorParameters<typeof RustFunction>[2]> & { env?: Record<string, string> }) => {
      const functionName = `nba-tracker-${stage}-${binaryName}`;
      const logGroup = new logs.LogGroup(this, `${id}LogGroup`, { logGroupName: `/aws/lambda/${functionName}`, retention: props.logRetentionDays as logs.RetentionDays, removalPolicy: RemovalPolicy.DESTROY });
      const { env, ...rest } = extra;
      return new RustFunction(this, id, {
        manifestPath: MANIFEST,
        binaryName,
        functionName,
        architecture: lambda.Architecture.ARM_64,
        memorySize: props.functionMemorySize,
        timeout: Duration.seconds(10),
        tracing: lambda.Tracing.ACTIVE,
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
        systemLogLevelV2: lambda.SystemLogLevel.WARN,
        logGroup,
        environment: { ...environment, ...env },
        ...rest,
      });
    };
    const allow = (fn: lambda.IFunction, sid: string, actions: string[], resources: string[]) =>
      fn.addToRolePolicy(new iam.PolicyStatement({ sid, actions, resources }));

    const ingest = rust("IngestFunction", "ingest", {
      memorySize: props.ingestMemorySize,
      timeout: Duration.seconds(120),
      reservedConcurrentExecutions: 1,
      retryAttempts: 1,
      maxEventAge: Duration.seconds(600),
      onFailure: new SqsDestination(failed),
      env: { FEEDS_JSON: props.feedsJson ?? "", NEWS_RETENTION_DAYS: String(props.retentionDays) },
    });
    allow(ingest, "NewsTableWrite", ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:PutItem"], [news.tableArn]);
    allow(ingest, "RawArchiveWrite", ["s3:GetObject", "s3:PutObject"], [archive.arnForObjects("raw/*")]);
    allow(ingest, "ArchiveList", ["s3:ListBucket"], [archive.bucketArn]);

    const maintenance = rust("MaintenanceFunction", "maintenance", {
      timeout: Duration.seconds(300),
      retryAttempts: 2,
      maxEventAge: Duration.seconds(3600),
      onFailure: new SqsDestination(failed),
      env: { FEEDS_JSON: props.feedsJson ?? "" },
    });
    allow(maintenance, "NewsTableRead", ["dynamodb:GetItem", "dynamodb:Query"], [news.tableArn, `${news.tableArn}/index/by_time`, `${news.tableArn}/index/by_source`]);
    allow(maintenance, "ExportWrite", ["s3:PutObject"], [archive.arnForObjects("exports/*")]);

    const newsApi = rust("NewsApiFunction", "news-api", {});
    allow(newsApi, "NewsTableRead", ["dynamodb:GetItem", "dynamodb:Query"], [news.tableArn, `${news.tableArn}/index/by_time`, `${news.tableArn}/index/by_category`, `${news.tableArn}/index/by_source`]);
    const usersApi = rust("UsersApiFunction", "users-api", {});
    allow(usersApi, "UsersTableWrite", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"], [users.tableArn, `${users.tableArn}/index/by_kind`]);
    const metricsApi = rust("MetricsApiFunction", "metrics-api", { env: { METRICS_RETENTION_DAYS: String(props.metricsRetentionDays) } });
    allow(metricsApi, "MetricsTableWrite", ["dynamodb:BatchWriteItem", "dynamodb:Query"], [metrics.tableArn]);

    // ------------------------------------------------------------ schedules and routes
    new events.Rule(this, "IngestSchedule", { schedule: events.Schedule.expression(props.ingestSchedule), targets: [new targets.LambdaFunction(ingest)] });
    new events.Rule(this, "MaintenanceSchedule", { schedule: events.Schedule.expression("cron(15 0 * * ? *)"), targets: [new targets.LambdaFunction(maintenance)] });

    const api = new apigw.HttpApi(this, "HttpApi", {
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: ["*"],
        allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.PATCH, apigw.CorsHttpMethod.DELETE, apigw.CorsHttpMethod.OPTIONS],
        allowHeaders: ["content-type", "if-match"],
        maxAge: Duration.seconds(600),
      },
    });
    new apigw.HttpStage(this, "DefaultStage", { httpApi: api, stageName: "$default", autoDeploy: true, throttle: { burstLimit: 100, rateLimit: 50 } });
    const M = apigw.HttpMethod;
    const routes: Array<[lambda.IFunction, string, apigw.HttpMethod, string]> = [
      [newsApi, "NewsApi", M.GET, "/news"], [newsApi, "NewsApi", M.GET, "/news/{id}"], [newsApi, "NewsApi", M.GET, "/news/stats"],
      [newsApi, "NewsApi", M.GET, "/health"], [newsApi, "NewsApi", M.GET, "/openapi.json"],
      [usersApi, "UsersApi", M.GET, "/users"], [usersApi, "UsersApi", M.POST, "/users"], [usersApi, "UsersApi", M.GET, "/users/{id}"],
      [usersApi, "UsersApi", M.PATCH, "/users/{id}"], [usersApi, "UsersApi", M.DELETE, "/users/{id}"],
      [metricsApi, "MetricsApi", M.POST, "/devices/{device_id}/metrics"], [metricsApi, "MetricsApi", M.GET, "/devices/{device_id}/metrics"],
      [metricsApi, "MetricsApi", M.GET, "/devices/{device_id}/metrics/summary"],
    ];
    const integrations = new Map<string, HttpLambdaIntegration>();
    for (const [fn, name, method, routePath] of routes) {
      if (!integrations.has(name)) integrations.set(name, new HttpLambdaIntegration(`${name}Integration`, fn));
      api.addRoutes({ path: routePath, methods: [method], integration: integrations.get(name)! });
    }

    // ------------------------------------------------------------ alarms
    const topic = new sns.Topic(this, "AlarmTopic", { displayName: `NBA Trade Tracker ${stage} alarms`, masterKey: undefined });
    if (props.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new cwActions.SnsAction(topic);
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric, threshold: number, evaluationPeriods = 1) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription: description, metric, threshold, evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(notify);
    const fiveMinutes = { period: Duration.minutes(5), statistic: "Sum" };
    alarm("IngestAllFeedsFailedAlarm", "Every feed failed in two consecutive ingest runs (the function fails only then).", ingest.metricErrors(fiveMinutes), 1, 2);
    const others = [maintenance, newsApi, usersApi, metricsApi];
    alarm("FunctionErrorsAlarm", "Errors in the maintenance or API functions.", new cloudwatch.MathExpression({
      expression: "m1 + m2 + m3 + m4", label: "Errors", period: Duration.minutes(5),
      usingMetrics: Object.fromEntries(others.map((fn, i) => [`m${i + 1}`, fn.metricErrors(fiveMinutes)])),
    }), 1);
    alarm("FunctionThrottlesAlarm", "Throttled invocations of any function.", new cloudwatch.MathExpression({
      expression: "t1 + t2 + t3 + t4 + t5", label: "Throttles", period: Duration.minutes(5),
      usingMetrics: Object.fromEntries([ingest, ...others].map((fn, i) => [`t${i + 1}`, fn.metricThrottles(fiveMinutes)])),
    }), 1);
    alarm("Api5xxAlarm", "The HTTP API answered 5xx.", api.metricServerError(fiveMinutes), 5);
    alarm("FailedInvocationsAlarm", "A scheduled invocation failed after its retries (the failed-invocations queue is not empty).",
      failed.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: "Maximum" }), 1);

    new CfnOutput(this, "ApiUrl", { value: api.apiEndpoint + "/" });
    new CfnOutput(this, "NewsTableName", { value: news.tableName });
    new CfnOutput(this, "UsersTableName", { value: users.tableName });
    new CfnOutput(this, "MetricsTableName", { value: metrics.tableName });
    new CfnOutput(this, "ArchiveBucketName", { value: archive.bucketName });
    new CfnOutput(this, "AlarmTopicArn", { value: topic.topicArn });
  }
}
