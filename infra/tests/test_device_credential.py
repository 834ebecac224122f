"""scripts/device-credential.sh against a stand-in aws CLI: the calls it makes and what it tells."""
import os
import shutil
import subprocess


from conftest import ROOT

SCRIPT = ROOT / "scripts" / "device-credential.sh"
FAKE_AWS = r"""#!/usr/bin/env bash
printf '%s\n' "$*" >> "$FAKE_AWS_LOG"
case "$1 $2" in
  "cloudformation describe-stacks")
    case "$*" in
      *UserPoolId*) echo us-east-1_AbC123 ;;
      *TokenEndpoint*) echo https://tracker-auth.auth.us-east-1.amazoncognito.com/oauth2/token ;;
      *ApiUrl*) echo https://abc123.execute-api.us-east-1.amazonaws.com/ ;;
      *DeviceClientIds*) echo "${FAKE_DEVICE_CLIENT_IDS:-}" ;;
    esac ;;
  "cognito-idp list-user-pool-clients") echo "${FAKE_EXISTING:-}" ;;
  "cognito-idp create-user-pool-client") printf '5p2clientid77\tthe-secret\n' ;;
esac
"""


def run(tmp_path, *args, **env):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "aws").write_text(FAKE_AWS)
    (bin_dir / "aws").chmod(0o755)
    log = tmp_path / "aws.log"
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", FAKE_AWS_LOG=str(log), **env)
    result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env)
    return result, log.read_text().splitlines() if log.exists() else []


def test_the_script_is_valid_bash_and_shellcheck_clean():
    subprocess.run(["bash", "-n", str(SCRIPT)], check=True)
    assert shutil.which("shellcheck"), "shellcheck is not installed (scripts/test.sh installs it)"
    result = subprocess.run(["shellcheck", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_creates_a_client_credentials_client_and_says_the_device_id_is_the_client_id(tmp_path):
    result, calls = run(tmp_path, "sensor-7", "nba-tracker-prod", FAKE_DEVICE_CLIENT_IDS="old1")
    assert result.returncode == 0, result.stderr
    create = next(call for call in calls if call.startswith("cognito-idp create-user-pool-client"))
    for part in ("--user-pool-id us-east-1_AbC123", "--client-name device-sensor-7", "--generate-secret",
                 "--allowed-o-auth-flows client_credentials", "--allowed-o-auth-scopes metrics/write --"):
        assert part in create, part
    assert all("--stack-name nba-tracker-prod" in call for call in calls if call.startswith("cloudformation"))
    out = result.stdout
    assert "client id:       5p2clientid77" in out and "client secret:   the-secret" in out
    assert "https://tracker-auth.auth.us-east-1.amazoncognito.com/oauth2/token" in out
    assert "The device id to use is the client id: 5p2clientid77" in out
    assert "https://abc123.execute-api.us-east-1.amazonaws.com/devices/5p2clientid77/metrics" in out
    assert "DeviceClientIds=old1,5p2clientid77" in out


def test_read_flag_adds_the_read_scope_and_the_stack_defaults_to_dev(tmp_path):
    result, calls = run(tmp_path, "--read", "sensor-8")
    assert result.returncode == 0, result.stderr
    assert any("--allowed-o-auth-scopes metrics/write metrics/read" in call for call in calls)
    assert all("--stack-name nba-tracker-dev" in call for call in calls if call.startswith("cloudformation"))
    assert "DeviceClientIds=5p2clientid77\n" in result.stdout


def test_refuses_a_second_client_of_the_same_name_and_bad_arguments(tmp_path):
    result, calls = run(tmp_path, "sensor-9", FAKE_EXISTING="existing-id")
    assert result.returncode == 1 and "existing-id" in result.stderr
    assert not any("create-user-pool-client" in call for call in calls)
    for args in ([], ["bad id"], ["a", "b", "c"], ["--write", "a"]):
        result, calls = run(tmp_path, *args)
        assert result.returncode == 2, args
