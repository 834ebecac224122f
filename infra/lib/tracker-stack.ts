// The NBA Trade Tracker stack, CDK-style: the same functions, routes, schedules, tables, bucket,
// identity, alarms and permissions as template.yaml (a test compares the two).
import * as path from "node:path";
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Tags } from "aws-cdk-lib";
import { Construct } from "constructs";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import * as apigw from "aws-cdk-lib/aws-apigatewayv2";
import { HttpJwtAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import * as acm from "aws-cdk-lib/aws-certificatemanager";
import * as cloudfront from "aws-cdk-lib/aws-cloudfront";
import * as origins from "aws-cdk-lib/aws-cloudfront-origins";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as cognito from "aws-cdk-lib/aws-cognito";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as s3deploy from "aws-cdk-lib/aws-s3-deployment";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { RustFunction } from "cargo-lambda-cdk";

/** The page's Content-Security-Policy: the value of shared/src/api/headers.rs (infra/tests checks). */
const CONTENT_SECURITY_POLICY = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface TrackerStackProps extends StackProps {
  stage: string;
  /** WAF web ACL of the distribution (WebAclArn; CLOUDFRONT scope, us-east-1: infra/waf.yaml). */
  webAclArn?: string;
  /** Custom domain of the site and its us-east-1 ACM certificate (DomainName, CertificateArn). */
  domainName?: string;
  certificateArn?: string;
  feedsJson?: string;
  ingestSchedule: string;
  retentionDays: number;
  metricsRetentionDays: number;
  functionMemorySize: number;
  ingestMemorySize: number;
  logRetentionDays: number;
  alarmEmail?: string;
  deletionProtection: boolean;
  /** Origins the HTTP API's CORS configuration allows (template parameter AllowedOrigins); never "*". */
  allowedOrigins: string[];
  /** Where the hosted UI may send the web client after sign-in / sign-out (CallbackUrls, LogoutUrls). */
  callbackUrls: string[];
  logoutUrls: string[];
  /** Hosted UI domain prefix (AuthDomainPrefix); empty or undefined: nba-tracker-STAGE-ACCOUNTID. */
  authDomainPrefix?: string;
  /** App client ids of devices, accepted by the JWT authorizer besides the web client (DeviceClientIds). */
  deviceClientIds: string[];
  /** Reserved concurrency of each API function; 0 reserves nothing (ApiReservedConcurrency). */
  apiReservedConcurrency: number;
  /** Hours without a new item, while feeds answer, before the freshness alarm fires; 1 to 24 (FreshnessAlarmHours). */
  freshnessAlarmHours: number;
}

/** The namespace of the metrics the ingest and notify functions emit (shared/src/emf.rs). */
export const METRICS_NAMESPACE = "NbaTradeTracker";

/** The routes anyone may call without a token; every other route needs one. */
export const PUBLIC_ROUTES = ["GET /news", "GET /news/{id}", "GET /news/stats", "GET /news.atom", "GET /news.json", "GET /teams", "GET /stories", "GET /sources", "GET /health", "GET /openapi.json"];

/** Per-route throttling of the write routes (the rest share the stage's default). */
export const WRITE_ROUTE_THROTTLE: Record<string, { burstLimit: number; rateLimit: number }> = {
  "POST /users": { burstLimit: 10, rateLimit: 5 },
  "PATCH /users/me": { burstLimit: 10, rateLimit: 5 },
  "DELETE /users/me": { burstLimit: 10, rateLimit: 5 },
  "PATCH /users/{id}": { burstLimit: 10, rateLimit: 5 },
  "DELETE /users/{id}": { burstLimit: 10, rateLimit: 5 },
  "POST /users/me/subscriptions": { burstLimit: 10, rateLimit: 5 },
  "PATCH /users/me/subscriptions/{id}": { burstLimit: 10, rateLimit: 5 },
  "DELETE /users/me/subscriptions/{id}": { burstLimit: 10, rateLimit: 5 },
  // A test alert sends an HTTP request to the subscription's destination.
  "POST /users/me/subscriptions/{id}/test": { burstLimit: 5, rateLimit: 1 },
  "POST /devices/{device_id}/metrics": { burstLimit: 40, rateLimit: 20 },
};

/** HTTP API access log line (JSON), the same as template.yaml's. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  ip: "$context.identity.sourceIp",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  routeKey: "$context.routeKey",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  integrationLatency: "$context.integrationLatency",
  authorizerError: "$context.authorizer.error",
  error: "$context.error.message",
});

const MANIFEST = path.join(__dirname, "..", "..", "..", "Cargo.toml");
const S = dynamodb.AttributeType.STRING;

export class TrackerStack extends Stack {
  constructor(scope: Construct, id: string, props: TrackerStackProps) {
    super(scope, id, props);
    const { stage } = props;
    // The template's tags, on every resource that takes them.
    Tags.of(this).add("project", "nba-trade-tracker");
    Tags.of(this).add("stage", stage);
    if (props.allowedOrigins.length === 0 || props.allowedOrigins.some((o) => o.includes("*"))) {
      throw new Error(`allowedOrigins must list explicit origins, not "*": ${JSON.stringify(props.allowedOrigins)}`);
    }
    // An alarm looks back at most one day (evaluation periods x period <= 86,400 s).
    if (!Number.isInteger(props.freshnessAlarmHours) || props.freshnessAlarmHours < 1 || props.freshnessAlarmHours > 24) {
      throw new Error(`freshnessAlarmHours must be a whole number from 1 to 24, not ${props.freshnessAlarmHours}`);
    }

    // ------------------------------------------------------------ data
    const tableDefaults = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: props.deletionProtection,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const news = new dynamodb.Table(this, "NewsTable", {
      ...tableDefaults,
      partitionKey: { name: "id", type: S },
      timeToLiveAttribute: "expires_at",
      // New items reach the notify function (NotifyNewsStream).
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    for (const [indexName, key] of [["by_time", "kind"], ["by_category", "category"], ["by_source", "source"], ["by_category_source", "category_source"]]) {
      news.addGlobalSecondaryIndex({ indexName, partitionKey: { name: key, type: S }, sortKey: { name: "sort_key", type: S }, projectionType: dynamodb.ProjectionType.ALL });
    }
    // Items by the time ingest first stored them: the daily export's day.
    news.addGlobalSecondaryIndex({ indexName: "by_fetched", partitionKey: { name: "kind", type: S }, sortKey: { name: "fetched_at", type: S }, projectionType: dynamodb.ProjectionType.ALL });
    // Team links (LAL, LAL#Trade): GET /news?team=, with or without a category.
    news.addGlobalSecondaryIndex({ indexName: "by_team", partitionKey: { name: "team_key", type: S }, sortKey: { name: "sort_key", type: S }, projectionType: dynamodb.ProjectionType.ALL });
    // The reports of one story, oldest first: GET /stories.
    news.addGlobalSecondaryIndex({ indexName: "by_story", partitionKey: { name: "story_id", type: S }, sortKey: { name: "sort_key", type: S }, projectionType: dynamodb.ProjectionType.ALL });
    const users = new dynamodb.Table(this, "UsersTable", { ...tableDefaults, partitionKey: { name: "user_id", type: S } });
    users.addGlobalSecondaryIndex({ indexName: "by_kind", partitionKey: { name: "kind", type: S }, sortKey: { name: "user_id", type: S }, projectionType: dynamodb.ProjectionType.ALL });
    const metrics = new dynamodb.Table(this, "MetricsTable", {
      ...tableDefaults,
      partitionKey: { name: "device_id", type: S },
      sortKey: { name: "timestamp", type: dynamodb.AttributeType.NUMBER },
      timeToLiveAttribute: "expires_at",
    });
    // Subscriptions under their owner (user#ID, sub#ID); delivery records and attempts under their
    // subscription (sub#ID, item#ID / attempt#...), which expire.
    const alerts = new dynamodb.Table(this, "AlertsTable", {
      ...tableDefaults,
      partitionKey: { name: "pk", type: S },
      sortKey: { name: "sk", type: S },
      timeToLiveAttribute: "expires_at",
    });
    // Every subscription (kind subscription): what the notify function matches new items against.
    alerts.addGlobalSecondaryIndex({ indexName: "by_kind", partitionKey: { name: "kind", type: S }, sortKey: { name: "sk", type: S }, projectionType: dynamodb.ProjectionType.ALL });

    const archive = new s3.Bucket(this, "ArchiveBucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        // S3 lifecycle expiration must be at least one day: 0 ("keep forever") drops the rule instead.
        ...(props.retentionDays > 0 ? [{ id: "expire-raw-archive", prefix: "raw/", expiration: Duration.days(props.retentionDays) }] : []),
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
    const environment = { NEWS_TABLE: news.tableName, USERS_TABLE: users.tableName, METRICS_TABLE: metrics.tableName, ALERTS_TABLE: alerts.tableName, ARCHIVE_BUCKET: archive.bucketName };
    const rust = (id: string, name: string, binaryName: string, extra: Partial<ConstructorParameters<typeof RustFunction>[2]> & { env?: Record<string, string> }) => {
      const functionName = `nba-tracker-${stage}-${name}`;
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
    // The scheduled functions' on-failure destination, granted SendMessage only (SqsDestination
    // would also grant GetQueueAttributes and GetQueueUrl, which SAM does not).
    const toFailedQueue: lambda.IDestination = { bind: () => ({ destination: failed.queueArn }) };

    const ingest = rust("IngestFunction", "ingest", "ingest", {
      memorySize: props.ingestMemorySize,
      timeout: Duration.seconds(120),
      reservedConcurrentExecutions: 1,
      retryAttempts: 1,
      maxEventAge: Duration.seconds(600),
      onFailure: toFailedQueue,
      env: { FEEDS_JSON: props.feedsJson ?? "", NEWS_RETENTION_DAYS: String(props.retentionDays) },
    });
    // New items (Put) and the stats counters (Update) go in TransactWriteItems, which IAM authorizes as
    // PutItem and UpdateItem; feed state is GetItem / PutItem.
    // Items, their team links and the counters in TransactWriteItems (Put/Update).
    allow(ingest, "NewsTableWrite", ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [news.tableArn]);
    // A new item's story: the items stored around its time (by_time).
    allow(ingest, "NewsTableStories", ["dynamodb:Query"], [`${news.tableArn}/index/by_time`]);
    allow(ingest, "RawArchiveWrite", ["s3:GetObject", "s3:PutObject"], [archive.arnForObjects("raw/*")]);
    allow(ingest, "ArchiveList", ["s3:ListBucket"], [archive.bucketArn]);
    allow(ingest, "FailedInvocationsSend", ["sqs:SendMessage"], [failed.queueArn]);

    const maintenance = rust("MaintenanceFunction", "maintenance", "maintenance", {
      timeout: Duration.seconds(300),
      retryAttempts: 2,
      maxEventAge: Duration.seconds(3600),
      onFailure: toFailedQueue,
      env: { FEEDS_JSON: props.feedsJson ?? "" },
    });
    allow(maintenance, "NewsTableRead", ["dynamodb:GetItem", "dynamodb:Query"], [news.tableArn, `${news.tableArn}/index/by_fetched`, `${news.tableArn}/index/by_source`]);
    allow(maintenance, "ExportWrite", ["s3:PutObject"], [archive.arnForObjects("exports/*")]);
    allow(maintenance, "FailedInvocationsSend", ["sqs:SendMessage"], [failed.queueArn]);

    const reservedConcurrentExecutions = props.apiReservedConcurrency > 0 ? props.apiReservedConcurrency : undefined;
    // The three API functions run the one `api` binary, each with its own routes and policy.
    const newsApi = rust("NewsApiFunction", "news-api", "api", { reservedConcurrentExecutions });
    // Listings Query the indexes; /news/stats reads the stats counters with BatchGetItem.
    allow(newsApi, "NewsTableRead", ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"],
      [news.tableArn, `${news.tableArn}/index/by_time`, `${news.tableArn}/index/by_category`, `${news.tableArn}/index/by_source`, `${news.tableArn}/index/by_category_source`, `${news.tableArn}/index/by_team`, `${news.tableArn}/index/by_story`]);
    // Email alerts: one SNS topic per email subscription, named with this prefix.
    const alertTopicPrefix = `nba-tracker-${stage}-alert-`;
    const alertTopics = `arn:${this.partition}:sns:${this.region}:${this.account}:${alertTopicPrefix}*`;
    const usersApi = rust("UsersApiFunction", "users-api", "users-api", { reservedConcurrentExecutions, env: { ALERTS_TOPIC_PREFIX: alertTopicPrefix } });
    allow(usersApi, "UsersTableWrite", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"], [users.tableArn, `${users.tableArn}/index/by_kind`]);
    // A user's subscriptions and their delivery attempts (keys under the user and the subscription:
    // no index); a test alert records its attempt.
    allow(usersApi, "AlertsTableWrite", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"], [alerts.tableArn]);
    // An email subscription's own SNS topic: created with the address subscribed (SNS asks it to
    // confirm), deleted with the subscription; a test alert publishes to it.
    allow(usersApi, "AlertEmailTopics", ["sns:CreateTopic", "sns:Subscribe", "sns:DeleteTopic", "sns:Publish"], [alertTopics]);
    const metricsApi = rust("MetricsApiFunction", "metrics-api", "api", { reservedConcurrentExecutions, env: { METRICS_RETENTION_DAYS: String(props.metricsRetentionDays) } });
    allow(metricsApi, "MetricsTableWrite", ["dynamodb:BatchWriteItem", "dynamodb:Query"], [metrics.tableArn]);

    const notifyFunction = rust("NotifyFunction", "notify", "notify", { timeout: Duration.seconds(300), env: { ALERTS_TOPIC_PREFIX: alertTopicPrefix } });
    // Every subscription (by_kind); a conditional PutItem claims each (subscription, item) before
    // sending, attempts are PutItem, pausing a subscription is a versioned PutItem (GetItem on a conflict).
    allow(notifyFunction, "AlertsTableDeliver", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"], [alerts.tableArn, `${alerts.tableArn}/index/by_kind`]);
    allow(notifyFunction, "NewsStreamRead", ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"], [news.tableStreamArn!]);
    // The stream trigger's on-failure destination: batches that failed after their retries.
    allow(notifyFunction, "FailedRecordsSend", ["sqs:SendMessage"], [failed.queueArn]);
    // Email alerts: a message to the subscription's own topic.
    allow(notifyFunction, "AlertEmailPublish", ["sns:Publish"], [alertTopics]);
    // The notify function's trigger, as template.yaml declares it: not DynamoEventSource, whose
    // grantStreamRead allows dynamodb:ListStreams on "*", and whose SqsDlq grants more than
    // SendMessage (the statements above grant what the mapping needs). Only inserted news items
    // reach the function (team links, feed states and counters are other kinds); it reports the
    // records to retry, and a batch that still fails goes to the failed-invocations queue.
    new lambda.EventSourceMapping(this, "NotifyNewsStream", {
      target: notifyFunction,
      eventSourceArn: news.tableStreamArn,
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(1),
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: 5,
      maxRecordAge: Duration.seconds(3600),
      onFailure: { bind: () => ({ destination: failed.queueArn }) },
      filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual("INSERT"), dynamodb: { NewImage: { kind: { S: lambda.FilterRule.isEqual("news") } } } })],
    });

    // ------------------------------------------------------------ schedules and routes
    new events.Rule(this, "IngestSchedule", { schedule: events.Schedule.expression(props.ingestSchedule), targets: [new targets.LambdaFunction(ingest)] });
    new events.Rule(this, "MaintenanceSchedule", { schedule: events.Schedule.expression("cron(15 0 * * ? *)"), targets: [new targets.LambdaFunction(maintenance)] });

    // ------------------------------------------------------------ identity
    const userPool = new cognito.UserPool(this, "UserPool", {
      userPoolName: `nba-tracker-${stage}-users`,
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: false, tempPasswordValidity: Duration.days(7) },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      mfa: cognito.Mfa.OFF,
      deletionProtection: props.deletionProtection,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // A public client (a browser keeps no secret): authorization code grant with PKCE.
    const webClient = new cognito.UserPoolClient(this, "WebClient", {
      userPool,
      userPoolClientName: `nba-tracker-${stage}-web`,
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls,
        logoutUrls: props.logoutUrls,
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.minutes(60),
      idTokenValidity: Duration.minutes(60),
      refreshTokenValidity: Duration.days(30),
    });
    const domain = new cognito.UserPoolDomain(this, "AuthDomain", {
      userPool,
      cognitoDomain: { domainPrefix: props.authDomainPrefix || `nba-tracker-${stage}-${Aws.ACCOUNT_ID}` },
    });
    // Machine clients (devices, client credentials) ask for metrics/write and metrics/read.
    new cognito.UserPoolResourceServer(this, "MetricsResourceServer", {
      userPool,
      identifier: "metrics",
      userPoolResourceServerName: "Device metrics",
      scopes: [
        new cognito.ResourceServerScope({ scopeName: "write", scopeDescription: "Write the readings of the device whose id is the client id" }),
        new cognito.ResourceServerScope({ scopeName: "read", scopeDescription: "Read device readings" }),
      ],
    });
    new cognito.UserPoolGroup(this, "AdminGroup", { userPool, groupName: "admin", description: "Lists users and reads or changes any user's profile.", precedence: 0 });
    const issuer = `https://cognito-idp.${Aws.REGION}.amazonaws.com/${userPool.userPoolId}`;
    const hostedUi = `https://${domain.domainName}.auth.${Aws.REGION}.amazoncognito.com`;

    // ------------------------------------------------------------ HTTP API
    // Every route needs a token from the user pool unless it is public. The gateway checks signature,
    // expiry, issuer and audience (or client_id); the application checks scopes, groups and ownership.
    const authorizer = new HttpJwtAuthorizer("CognitoJwt", issuer, {
      identitySource: ["$request.header.Authorization"],
      jwtAudience: [webClient.userPoolClientId, ...props.deviceClientIds.filter((id) => id !== "")],
    });
    const api = new apigw.HttpApi(this, "HttpApi", {
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      corsPreflight: {
        allowOrigins: props.allowedOrigins,
        allowMethods: [apigw.CorsHttpMethod.GET, apigw.CorsHttpMethod.POST, apigw.CorsHttpMethod.PATCH, apigw.CorsHttpMethod.DELETE, apigw.CorsHttpMethod.OPTIONS],
        allowHeaders: ["content-type", "authorization"],
        allowCredentials: false,
        maxAge: Duration.seconds(600),
      },
    });
    const accessLogs = new logs.LogGroup(this, "HttpApiAccessLogGroup", {
      logGroupName: `/aws/apigateway/nba-tracker-${stage}-http-api`,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const httpStage = new apigw.HttpStage(this, "DefaultStage", {
      httpApi: api,
      stageName: "$default",
      autoDeploy: true,
      throttle: { burstLimit: 100, rateLimit: 50 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs), format: AccessLogFormat.custom(ACCESS_LOG_FORMAT) },
    });
    // Writes get a tighter budget than reads: they cost DynamoDB writes and are what abuse aims at.
    (httpStage.node.defaultChild as apigw.CfnStage).routeSettings = Object.fromEntries(
      Object.entries(WRITE_ROUTE_THROTTLE).map(([routeKey, t]) => [routeKey, { ThrottlingBurstLimit: t.burstLimit, ThrottlingRateLimit: t.rateLimit }]),
    );
    const M = apigw.HttpMethod;
    const routes: Array<[lambda.IFunction, string, apigw.HttpMethod, string]> = [
      [newsApi, "NewsApi", M.GET, "/news"], [newsApi, "NewsApi", M.GET, "/news/{id}"], [newsApi, "NewsApi", M.GET, "/news/stats"],
      [newsApi, "NewsApi", M.GET, "/news.atom"], [newsApi, "NewsApi", M.GET, "/news.json"],
      [newsApi, "NewsApi", M.GET, "/teams"], [newsApi, "NewsApi", M.GET, "/stories"], [newsApi, "NewsApi", M.GET, "/sources"],
      [newsApi, "NewsApi", M.GET, "/health"], [newsApi, "NewsApi", M.GET, "/openapi.json"],
      [usersApi, "UsersApi", M.POST, "/users"], [usersApi, "UsersApi", M.GET, "/users"],
      [usersApi, "UsersApi", M.GET, "/users/me"], [usersApi, "UsersApi", M.PATCH, "/users/me"], [usersApi, "UsersApi", M.DELETE, "/users/me"],
      [usersApi, "UsersApi", M.GET, "/users/{id}"], [usersApi, "UsersApi", M.PATCH, "/users/{id}"], [usersApi, "UsersApi", M.DELETE, "/users/{id}"],
      [usersApi, "UsersApi", M.POST, "/users/me/subscriptions"], [usersApi, "UsersApi", M.GET, "/users/me/subscriptions"],
      [usersApi, "UsersApi", M.GET, "/users/me/subscriptions/{id}"], [usersApi, "UsersApi", M.PATCH, "/users/me/subscriptions/{id}"],
      [usersApi, "UsersApi", M.DELETE, "/users/me/subscriptions/{id}"], [usersApi, "UsersApi", M.POST, "/users/me/subscriptions/{id}/test"],
      [usersApi, "UsersApi", M.GET, "/users/me/subscriptions/{id}/deliveries"],
      [metricsApi, "MetricsApi", M.POST, "/devices/{device_id}/metrics"], [metricsApi, "MetricsApi", M.GET, "/devices/{device_id}/metrics"],
      [metricsApi, "MetricsApi", M.GET, "/devices/{device_id}/metrics/summary"],
    ];
    const integrations = new Map<string, HttpLambdaIntegration>();
    const none = new apigw.HttpNoneAuthorizer();
    for (const [fn, name, method, routePath] of routes) {
      if (!integrations.has(name)) integrations.set(name, new HttpLambdaIntegration(`${name}Integration`, fn));
      const isPublic = PUBLIC_ROUTES.includes(`${method} ${routePath}`);
      const added = api.addRoutes({ path: routePath, methods: [method], integration: integrations.get(name)!, ...(isPublic ? { authorizer: none } : {}) });
      // Route settings name routes by key: the stage must come after them.
      httpStage.node.addDependency(...added);
    }

    // ------------------------------------------------------------ alarms
    // CloudWatch alarms cannot publish to a topic under the AWS-managed alias/aws/sns key (its policy
    // cannot be changed to let CloudWatch use it): the topic gets a key of its own that CloudWatch may use.
    const topicKey = new kms.Key(this, "AlarmTopicKey", {
      description: `Encrypts the NBA Trade Tracker ${stage} alarm topic.`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({ sid: "AccountAdministers", principals: [new iam.AccountRootPrincipal()], actions: ["kms:*"], resources: ["*"] }),
          new iam.PolicyStatement({
            sid: "CloudWatchAlarmsPublish",
            principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
            resources: ["*"],
            conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
          }),
        ],
      }),
    });
    const topic = new sns.Topic(this, "AlarmTopic", { displayName: `NBA Trade Tracker ${stage} alarms`, masterKey: topicKey });
    if (props.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new cwActions.SnsAction(topic);
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric, threshold: number, evaluationPeriods = 1,
      comparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription: description, metric, threshold, evaluationPeriods,
        comparisonOperator,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(notify);
    const fiveMinutes = { period: Duration.minutes(5), statistic: "Sum" };
    alarm("IngestAllFeedsFailedAlarm", "Every feed failed in two consecutive ingest runs (the function fails only then).", ingest.metricErrors(fiveMinutes), 1, 2);
    const others = [maintenance, newsApi, usersApi, metricsApi, notifyFunction];
    alarm("FunctionErrorsAlarm", "Errors in the maintenance, API or notify functions.", new cloudwatch.MathExpression({
      expression: "m1 + m2 + m3 + m4 + m5", label: "Errors", period: Duration.minutes(5),
      usingMetrics: Object.fromEntries(others.map((fn, i) => [`m${i + 1}`, fn.metricErrors(fiveMinutes)])),
    }), 1);
    alarm("FunctionThrottlesAlarm", "Throttled invocations of any function.", new cloudwatch.MathExpression({
      expression: "t1 + t2 + t3 + t4 + t5 + t6", label: "Throttles", period: Duration.minutes(5),
      usingMetrics: Object.fromEntries([ingest, ...others].map((fn, i) => [`t${i + 1}`, fn.metricThrottles(fiveMinutes)])),
    }), 1);
    alarm("Api5xxAlarm", "The HTTP API answered 5xx.", api.metricServerError(fiveMinutes), 5);
    alarm("FailedInvocationsAlarm", "A scheduled invocation or a news stream batch failed after its retries (the failed-invocations queue is not empty).",
      failed.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: "Maximum" }), 1);
    // A metric the ingest or notify function emits (EMF lines, no dimensions).
    const emfMetric = (metricName: string, statistic: string, period: Duration) => new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, statistic, period });
    // The function fails only when every feed fails; a feed that fails while others answer shows only
    // in the ingest run's metrics (FeedErrors: feeds that failed in a run).
    alarm("IngestFeedKeepsFailingAlarm", "A feed failed in every ingest run for 45 minutes (the dashboard's FeedFailed widget names the feed).",
      emfMetric("FeedErrors", "Minimum", Duration.minutes(15)), 1, 3);
    // Feeds answer but nothing new is stored (a parse or classification regression, or duplicate
    // detection gone wrong): hours in which some feed answered (FeedsOk) and no item was stored (ItemsNew).
    alarm("IngestFreshnessAlarm", `No new item was stored for ${props.freshnessAlarmHours} hours while feeds answered.`, new cloudwatch.MathExpression({
      expression: "IF(answered > 0 AND stored == 0, 1, 0)", label: "Hours with answering feeds and no new item", period: Duration.hours(1),
      usingMetrics: { stored: emfMetric("ItemsNew", "Sum", Duration.hours(1)), answered: emfMetric("FeedsOk", "Sum", Duration.hours(1)) },
    }), 1, props.freshnessAlarmHours);
    // The notify function falls behind the news table's stream (new items wait over a minute for
    // their alerts), or keeps failing on a batch it retries.
    alarm("NotifyIteratorAgeAlarm", "The notify function fell over a minute behind the news table's stream.",
      notifyFunction.metric("IteratorAge", { period: Duration.minutes(5), statistic: "Maximum" }), 60000, 1,
      cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD);
    // Alerts that no try delivered (AlertsFailed, counted by the notify function per batch). A receiver
    // is paused after 5 failures in a row, so 10 in 5 minutes means several receivers, or the sending
    // itself, fail.
    alarm("AlertDeliveryFailuresAlarm", "At least 10 alerts could not be delivered in 5 minutes.", emfMetric("AlertsFailed", "Sum", Duration.minutes(5)), 10);

    // ------------------------------------------------------------ dashboard
    const functions: Array<[string, lambda.Function]> = [["ingest", ingest], ["maintenance", maintenance], ["news-api", newsApi], ["users-api", usersApi], ["metrics-api", metricsApi], ["notify", notifyFunction]];
    const tables: Array<[string, dynamodb.Table]> = [["news", news], ["users", users], ["metrics", metrics], ["alerts", alerts]];
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) => new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    const hourly = (metricName: string) => emfMetric(metricName, "Sum", Duration.hours(1)).with({ label: metricName });
    const fiveMinuteSum = { period: Duration.minutes(5), statistic: "Sum" };
    new cloudwatch.Dashboard(this, "Dashboard", {
      dashboardName: `nba-tracker-${stage}`,
      widgets: [
        [
          graph("Ingest: new items per hour by category", ["TradeNew", "SigningNew", "OtherNew"].map(hourly)),
          // One line per feed (the Feed dimension) names the feed behind FeedErrors.
          graph("Ingest: failed feeds per 15 minutes", [
            emfMetric("FeedErrors", "Sum", Duration.minutes(15)).with({ label: "FeedErrors (all feeds)" }),
            new cloudwatch.MathExpression({ expression: `SEARCH('{${METRICS_NAMESPACE},Feed} MetricName="FeedFailed"', 'Sum', 900)`, label: "", period: Duration.minutes(15), usingMetrics: {} }),
          ]),
          graph("Ingest: freshness (new items and answering feeds per hour)", [hourly("ItemsNew"), hourly("FeedsOk")]),
        ],
        [
          graph("API latency (ms)", ["p50", "p95", "p99"].map((statistic) => api.metricLatency({ period: Duration.minutes(5), statistic, label: statistic })), 12),
          graph("API 4xx and 5xx", [api.metricClientError({ ...fiveMinuteSum, label: "4xx" }), api.metricServerError({ ...fiveMinuteSum, label: "5xx" })], 12),
        ],
        [
          graph("Lambda errors", functions.map(([name, fn]) => fn.metricErrors({ ...fiveMinuteSum, label: name }))),
          graph("Lambda throttles", functions.map(([name, fn]) => fn.metricThrottles({ ...fiveMinuteSum, label: name }))),
          graph("DynamoDB consumed capacity units", tables.flatMap(([name, table]) => [
            table.metricConsumedReadCapacityUnits({ ...fiveMinuteSum, label: `${name} read` }),
            table.metricConsumedWriteCapacityUnits({ ...fiveMinuteSum, label: `${name} write` }),
          ])),
        ],
        [
          graph("Alerts per 5 minutes", ["AlertsDelivered", "AlertsFailed", "SubscriptionsPaused", "ItemsDeferred"].map((name) => emfMetric(name, "Sum", Duration.minutes(5)).with({ label: name })), 12),
          graph("Notify: news stream iterator age (ms)", [notifyFunction.metric("IteratorAge", { period: Duration.minutes(5), statistic: "Maximum", label: "notify" })], 12),
        ],
      ],
    });

    // The page at the edge, as template.yaml declares it: one CloudFront origin for readers, the
    // page from a private bucket read through Origin Access Control, the API paths forwarded to
    // the HTTP API, and the security headers tracker serve sends (shared/src/api/headers.rs).
    const pageBucket = new s3.Bucket(this, "PageBucket", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
    });
    const securityHeaders = new cloudfront.ResponseHeadersPolicy(this, "SecurityHeadersPolicy", {
      responseHeadersPolicyName: `nba-tracker-${props.stage}-security-headers`,
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONTENT_SECURITY_POLICY, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.seconds(63072000), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
      },
    });
    const publicRead = new cloudfront.CachePolicy(this, "PublicReadCachePolicy", {
      cachePolicyName: `nba-tracker-${props.stage}-public-read`,
      defaultTtl: Duration.seconds(30), minTtl: Duration.seconds(0), maxTtl: Duration.seconds(60),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.none(),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: true, enableAcceptEncodingBrotli: true,
    });
    const authorized = new cloudfront.CachePolicy(this, "AuthorizedNoCachePolicy", {
      cachePolicyName: `nba-tracker-${props.stage}-authorized`,
      defaultTtl: Duration.seconds(0), minTtl: Duration.seconds(0), maxTtl: Duration.seconds(1),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList("Authorization"),
      cookieBehavior: cloudfront.CacheCookieBehavior.none(),
      enableAcceptEncodingGzip: false, enableAcceptEncodingBrotli: false,
    });
    const apiOrigin = new origins.HttpOrigin(`${api.apiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    const toApi = (cachePolicy: cloudfront.ICachePolicy, allowedMethods: cloudfront.AllowedMethods): cloudfront.BehaviorOptions => ({
      origin: apiOrigin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      compress: true,
      allowedMethods,
      cachePolicy,
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      responseHeadersPolicy: securityHeaders,
    });
    const distribution = new cloudfront.Distribution(this, "Distribution", {
      comment: `NBA Trade Tracker ${props.stage}`,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      enableIpv6: true,
      priceClass: cloudfront.PriceClass.PRICE_CLASS_ALL,
      defaultRootObject: "index.html",
      webAclId: props.webAclArn || undefined,
      domainNames: props.domainName ? [props.domainName] : undefined,
      certificate: props.domainName && props.certificateArn
        ? acm.Certificate.fromCertificateArn(this, "Certificate", props.certificateArn) : undefined,
      minimumProtocolVersion: props.domainName ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(pageBucket, {
          originAccessControl: new cloudfront.S3OriginAccessControl(this, "PageOriginAccessControl", {
            originAccessControlName: `nba-tracker-${props.stage}-page`,
            signing: cloudfront.Signing.SIGV4_ALWAYS,
          }),
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        compress: true,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
      },
      additionalBehaviors: {
        "/news*": toApi(publicRead, cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS),
        "/users*": toApi(authorized, cloudfront.AllowedMethods.ALLOW_ALL),
        "/devices*": toApi(authorized, cloudfront.AllowedMethods.ALLOW_ALL),
        "/teams": toApi(publicRead, cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS),
        "/stories": toApi(publicRead, cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS),
        "/sources": toApi(publicRead, cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS),
        "/health": toApi(cloudfront.CachePolicy.CACHING_DISABLED, cloudfront.AllowedMethods.ALLOW_GET_HEAD),
        "/openapi.json": toApi(cloudfront.CachePolicy.CACHING_DISABLED, cloudfront.AllowedMethods.ALLOW_GET_HEAD),
      },
    });
    // Publishing the page is part of the deploy: web/ to the bucket, then an invalidation.
    new s3deploy.BucketDeployment(this, "PagePublish", {
      sources: [s3deploy.Source.asset(path.join(__dirname, "..", "..", "..", "web"))],
      destinationBucket: pageBucket,
      cacheControl: [s3deploy.CacheControl.fromString("max-age=300")],
      distribution,
      distributionPaths: ["/*"],
    });

    new CfnOutput(this, "SiteUrl", { description: "The news page and, on the same origin, the API (CloudFront).", value: props.domainName ? `https://${props.domainName}/` : `https://${distribution.distributionDomainName}/` });
    new CfnOutput(this, "DistributionId", { description: "The CloudFront distribution.", value: distribution.distributionId });
    new CfnOutput(this, "PageBucketName", { description: "The private bucket of the page's files.", value: pageBucket.bucketName });
    new CfnOutput(this, "ApiUrl", { value: api.apiEndpoint + "/" });
    new CfnOutput(this, "NewsTableName", { value: news.tableName });
    new CfnOutput(this, "UsersTableName", { value: users.tableName });
    new CfnOutput(this, "MetricsTableName", { value: metrics.tableName });
    new CfnOutput(this, "AlertsTableName", { value: alerts.tableName });
    new CfnOutput(this, "ArchiveBucketName", { value: archive.bucketName });
    new CfnOutput(this, "AlarmTopicArn", { value: topic.topicArn });
    new CfnOutput(this, "UserPoolId", { value: userPool.userPoolId });
    new CfnOutput(this, "UserPoolArn", { value: userPool.userPoolArn });
    new CfnOutput(this, "WebClientId", { description: "App client of the web page (authorization code + PKCE, no secret).", value: webClient.userPoolClientId });
    new CfnOutput(this, "UserPoolDomain", { description: "Prefix of the Cognito hosted UI domain.", value: domain.domainName });
    new CfnOutput(this, "HostedUiUrl", { description: "Base URL of the Cognito hosted UI (/oauth2/authorize, /oauth2/token, /login, /logout).", value: hostedUi });
    new CfnOutput(this, "TokenEndpoint", { description: "OAuth 2.0 token endpoint (device clients use the client credentials grant here).", value: `${hostedUi}/oauth2/token` });
    new CfnOutput(this, "IssuerUrl", { description: "Issuer (iss) of the user pool's tokens, as the JWT authorizer checks it.", value: issuer });
    new CfnOutput(this, "JwksUrl", { description: "The user pool's signing keys (tracker serve --jwks URL).", value: `${issuer}/.well-known/jwks.json` });
  }
}
