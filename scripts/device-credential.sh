#!/usr/bin/env bash
# Creates the credential of one IoT device: a Cognito app client of the stack's user pool with a
# secret and the client credentials grant, allowed the scope metrics/write (and metrics/read with
# --read). Prints the client id, the secret and the token endpoint.
#
# The API binds a device credential to the device whose id EQUALS the token's client_id: the device
# posts its readings to /devices/<CLIENT_ID>/metrics. DEVICE_ID only names the client
# (device-DEVICE_ID) so people can tell the credentials apart.
#
# The gateway accepts the new client's tokens only once its id is in the stack's DeviceClientIds
# parameter (CDK: the deviceClientIds context value): the script says what to redeploy with.
#
# Usage: scripts/device-credential.sh [--read] DEVICE_ID [STACK_NAME]
#   STACK_NAME defaults to nba-tracker-dev. Uses the aws CLI's normal configuration (profile,
#   AWS_REGION); needs cloudformation:DescribeStacks, cognito-idp:ListUserPoolClients and
#   cognito-idp:CreateUserPoolClient.
set -euo pipefail

usage() {
  sed -n 's/^# \{0,1\}//; /^Usage:/,/^  cognito-idp:CreateUserPoolClient/p' "$0" >&2
  exit "${1:-2}"
}

read_scope=false
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --read) read_scope=true ;;
    -h|--help) usage 0 ;;
    --) shift; args+=("$@"); break ;;
    -*) echo "unknown option: $1" >&2; usage ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [ ${#args[@]} -lt 1 ] || [ ${#args[@]} -gt 2 ]; then usage; fi
device_id="${args[0]}"
stack="${args[1]:-nba-tracker-dev}"

# Cognito client names allow [\w\s+=,.@-], at most 128 characters; keep to a plain subset.
if ! [[ "$device_id" =~ ^[A-Za-z0-9._-]{1,100}$ ]]; then
  echo "DEVICE_ID must be 1-100 letters, digits, '.', '_' or '-': $device_id" >&2
  exit 2
fi
command -v aws >/dev/null || { echo "the aws CLI is not installed (pip install awscli, or AWS CLI v2)" >&2; exit 1; }

output() {
  local value
  value=$(aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue | [0]" --output text)
  if [ -z "$value" ] || [ "$value" = "None" ]; then
    echo "stack $stack has no output $1: is it deployed from this project's template (issue 11 or later)?" >&2
    exit 1
  fi
  printf '%s' "$value"
}

user_pool_id=$(output UserPoolId)
token_endpoint=$(output TokenEndpoint)
api_url=$(output ApiUrl)
client_name="device-$device_id"

existing=$(aws cognito-idp list-user-pool-clients --user-pool-id "$user_pool_id" \
  --query "UserPoolClients[?ClientName=='$client_name'].ClientId" --output text)
if [ -n "$existing" ] && [ "$existing" != "None" ]; then
  echo "the user pool already has a client named $client_name: $existing" >&2
  echo "(delete it with: aws cognito-idp delete-user-pool-client --user-pool-id $user_pool_id --client-id $existing)" >&2
  exit 1
fi

scopes=(metrics/write)
if [ "$read_scope" = true ]; then
  scopes+=(metrics/read)
fi

read -r client_id client_secret < <(aws cognito-idp create-user-pool-client \
  --user-pool-id "$user_pool_id" \
  --client-name "$client_name" \
  --generate-secret \
  --allowed-o-auth-flows-user-pool-client \
  --allowed-o-auth-flows client_credentials \
  --allowed-o-auth-scopes "${scopes[@]}" \
  --explicit-auth-flows ALLOW_REFRESH_TOKEN_AUTH \
  --prevent-user-existence-errors ENABLED \
  --enable-token-revocation \
  --access-token-validity 60 \
  --token-validity-units AccessToken=minutes \
  --query "UserPoolClient.[ClientId, ClientSecret]" --output text)
if [ -z "${client_id:-}" ] || [ -z "${client_secret:-}" ]; then
  echo "create-user-pool-client returned no client id or secret" >&2
  exit 1
fi

current=$(aws cloudformation describe-stacks --stack-name "$stack" \
  --query "Stacks[0].Parameters[?ParameterKey=='DeviceClientIds'].ParameterValue | [0]" --output text)
if [ -z "$current" ] || [ "$current" = "None" ]; then
  device_client_ids="$client_id"
else
  device_client_ids="$current,$client_id"
fi
scope_list="${scopes[*]}"

cat <<EOF
Device credential created in user pool $user_pool_id (client name $client_name).

  client id:       $client_id
  client secret:   $client_secret
  token endpoint:  $token_endpoint
  scopes:          $scope_list

The device id to use is the client id: $client_id
The API binds this credential to that device id only. The device posts its readings to
  ${api_url%/}/devices/$client_id/metrics
(not /devices/$device_id/metrics: "$client_name" is only the client's name).

Get a token (valid 60 minutes) and post a reading:
  TOKEN=\$(curl -s -u '$client_id:<client secret>' -d grant_type=client_credentials \\
    --data-urlencode 'scope=$scope_list' '$token_endpoint' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -H "authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
    -d '{"timestamp":1767225600000,"temperature":21.5,"humidity":40,"status":"ok"}' \\
    '${api_url%/}/devices/$client_id/metrics'

Keep the secret in the device's secret store only (administrators of the pool can read it again
with aws cognito-idp describe-user-pool-client).

NEXT: the gateway rejects this client's tokens until its id is in DeviceClientIds. Redeploy with
  DeviceClientIds=$device_client_ids
  - SAM: add DeviceClientIds=$device_client_ids to parameter_overrides in samconfig.toml (an
    --parameter-overrides on the command line replaces that whole line), then sam deploy.
  - CDK: npx cdk deploy -c deviceClientIds=$device_client_ids (with your other -c values).
EOF
