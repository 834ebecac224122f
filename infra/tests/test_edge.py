"""The page at the edge (issue 12): the CloudFront distribution, its Origin Access Control, the
page bucket and its policy, the cache and response headers policies are declared the same in
template.yaml and the CDK app, and send the security headers the code sends
(shared/src/api/headers.rs)."""
import re

import yaml

from conftest import ROOT, logical_base
from model import Resolver

MANAGED_CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
MANAGED_CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
MANAGED_ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
API_PATHS = ["/news*", "/users*", "/devices*", "/teams", "/stories", "/sources", "/health", "/openapi.json"]


def one(template, kind):
    (found,) = [(logical, r["Properties"]) for logical, r in template["Resources"].items() if r["Type"] == kind]
    return found


def policy(template, ref, config_key):
    """A managed policy's id, or the configuration of the stack's own policy (without its name)."""
    if isinstance(ref, str):
        return f"managed:{ref}"
    config = dict(template["Resources"][ref["Ref"]]["Properties"][config_key])
    config.pop("Name")
    return config


def edge(template):
    """What the distribution does, with generated names and ids left out."""
    _, dist = one(template, "AWS::CloudFront::Distribution")
    config = dist["DistributionConfig"]
    origins = {}
    for origin in config["Origins"]:
        if "S3OriginConfig" in origin:
            assert "OriginAccessControlId" in origin and origin["S3OriginConfig"].get("OriginAccessIdentity", "") == ""
            origins[origin["Id"]] = "page bucket via OAC"
        else:
            custom = origin["CustomOriginConfig"]
            origins[origin["Id"]] = ("api", custom["OriginProtocolPolicy"], tuple(custom["OriginSSLProtocols"]))

    def behaviour(b):
        return {
            "origin": origins[b["TargetOriginId"]],
            "viewer": b["ViewerProtocolPolicy"],
            "compress": b.get("Compress"),
            "methods": sorted(b["AllowedMethods"]),
            "cache": policy(template, b["CachePolicyId"], "CachePolicyConfig"),
            "origin request": b.get("OriginRequestPolicyId"),
            "headers": policy(template, b["ResponseHeadersPolicyId"], "ResponseHeadersPolicyConfig"),
        }

    return {
        "http": config["HttpVersion"], "ipv6": config["IPV6Enabled"], "root": config["DefaultRootObject"],
        "price": config["PriceClass"], "enabled": config["Enabled"],
        "default": behaviour(config["DefaultCacheBehavior"]),
        "paths": {b["PathPattern"]: behaviour(b) for b in config["CacheBehaviors"]},
    }


def test_the_distribution_is_declared_the_same(sam_cfn, cdk):
    assert edge(cdk) == edge(sam_cfn)


def test_the_page_comes_from_the_bucket_and_the_api_paths_from_the_api(sam_cfn):
    found = edge(sam_cfn)
    assert (found["http"], found["ipv6"], found["root"]) == ("http2and3", True, "index.html")
    default = found["default"]
    assert default["origin"] == "page bucket via OAC"
    assert default["cache"] == f"managed:{MANAGED_CACHING_OPTIMIZED}"
    assert list(found["paths"]) == API_PATHS
    for path, b in found["paths"].items():
        assert b["origin"] == ("api", "https-only", ("TLSv1.2",)), path
        assert b["origin request"] == MANAGED_ALL_VIEWER_EXCEPT_HOST, path
    for b in [default, *found["paths"].values()]:
        assert (b["viewer"], b["compress"]) == ("redirect-to-https", True)
        assert b["headers"] == default["headers"]


def test_public_reads_are_cached_briefly_by_query_and_authenticated_routes_never(sam_cfn):
    paths = edge(sam_cfn)["paths"]
    news = paths["/news*"]
    assert news["methods"] == ["GET", "HEAD", "OPTIONS"]
    keyed = news["cache"]["ParametersInCacheKeyAndForwardedToOrigin"]
    assert 0 < news["cache"]["DefaultTTL"] <= news["cache"]["MaxTTL"] <= 60
    assert keyed["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert keyed["HeadersConfig"] == {"HeaderBehavior": "none"}  # never keyed on a caller
    for path in ("/users*", "/devices*"):
        cache = paths[path]["cache"]
        assert (cache["DefaultTTL"], cache["MinTTL"]) == (0, 0), path
        headers = cache["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]
        assert headers == {"HeaderBehavior": "whitelist", "Headers": ["Authorization"]}, path
        assert "POST" in paths[path]["methods"] and "DELETE" in paths[path]["methods"], path
    for path in ("/health", "/openapi.json"):
        assert paths[path]["cache"] == f"managed:{MANAGED_CACHING_DISABLED}", path


def code_headers():
    source = (ROOT / "shared/src/api/headers.rs").read_text()
    csp = re.search(r'CONTENT_SECURITY_POLICY: &str = "(.*?)";', source, re.S).group(1)
    csp = re.sub(r"\\\n\s*", "", csp)
    pairs = dict(re.findall(r'\(\s*"([a-z-]+)",\s*"([^"]*)",?\s*\)', source))
    pairs["content-security-policy"] = csp
    return pairs


def test_cloudfront_sends_the_headers_tracker_serve_sends(sam_cfn, cdk):
    code = code_headers()
    assert set(code) == {"content-security-policy", "strict-transport-security", "x-content-type-options",
                         "referrer-policy", "x-frame-options"}
    for template in (sam_cfn, cdk):
        headers = edge(template)["default"]["headers"]["SecurityHeadersConfig"]
        assert headers["ContentSecurityPolicy"] == {"ContentSecurityPolicy": code["content-security-policy"], "Override": True}
        hsts = headers["StrictTransportSecurity"]
        assert f"max-age={hsts['AccessControlMaxAgeSec']}; includeSubDomains" == code["strict-transport-security"]
        assert hsts["IncludeSubdomains"] and hsts["Override"]
        assert headers["ContentTypeOptions"] == {"Override": True} and code["x-content-type-options"] == "nosniff"
        assert headers["ReferrerPolicy"] == {"ReferrerPolicy": code["referrer-policy"], "Override": True}
        assert headers["FrameOptions"] == {"FrameOption": code["x-frame-options"], "Override": True}
    csp = code["content-security-policy"]
    for directive in ("default-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "script-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp


def bucket_policy_statements(template):
    _, props = one_page_policy(template)
    return props["PolicyDocument"]["Statement"]


def one_page_policy(template):
    (found,) = [(logical, r["Properties"]) for logical, r in template["Resources"].items()
                if r["Type"] == "AWS::S3::BucketPolicy" and logical_base(r["Properties"]["Bucket"]["Ref"]) == "PageBucket"]
    return found


def test_only_the_distribution_reads_the_private_page_bucket(sam_cfn, cdk):
    for template in (sam_cfn, cdk):
        bucket = next(r["Properties"] for logical, r in template["Resources"].items()
                      if r["Type"] == "AWS::S3::Bucket" and logical_base(logical) == "PageBucket")
        assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
        assert "WebsiteConfiguration" not in bucket
        assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        statements = bucket_policy_statements(template)
        allows = [s for s in statements if s["Effect"] == "Allow"]
        assert len(allows) == 1
        (allow,) = allows
        assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert allow["Action"] == "s3:GetObject"
        source = str(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
        distribution = next(l for l, r in template["Resources"].items() if r["Type"] == "AWS::CloudFront::Distribution")
        assert ":distribution/" in source and distribution in source
        denies = [s for s in statements if s["Effect"] == "Deny"]
        assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and s["Action"] == "s3:*" for s in denies)
        _, oac = one(template, "AWS::CloudFront::OriginAccessControl")
        config = oac["OriginAccessControlConfig"]
        assert (config["OriginAccessControlOriginType"], config["SigningBehavior"], config["SigningProtocol"]) == ("s3", "always", "sigv4")


def test_the_site_url_is_an_output(sam_cfn, cdk):
    for template in (sam_cfn, cdk):
        assert {"SiteUrl", "DistributionId", "PageBucketName"} <= set(template["Outputs"])


ACL = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/nba-tracker-prod/abc"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def test_web_acl_and_custom_domain_are_optional_and_the_same(sam, synth_cdk):
    params = {"WebAclArn": ACL, "DomainName": "trades.example.com", "CertificateArn": CERT}
    resolver = Resolver(sam, **params)
    sam_config = resolver(sam["Resources"]["Distribution"]["Properties"])["DistributionConfig"]
    cdk = synth_cdk(webAclArn=ACL, domainName="trades.example.com", certificateArn=CERT)
    _, cdk_props = one(cdk, "AWS::CloudFront::Distribution")
    cdk_config = cdk_props["DistributionConfig"]
    for config in (sam_config, cdk_config):
        assert config["WebACLId"] == ACL
        assert config["Aliases"] == ["trades.example.com"]
        assert config["ViewerCertificate"] == {"AcmCertificateArn": CERT, "SslSupportMethod": "sni-only",
                                               "MinimumProtocolVersion": "TLSv1.2_2021"}
    plain = Resolver(sam)(sam["Resources"]["Distribution"]["Properties"])["DistributionConfig"]
    assert "WebACLId" not in plain and "Aliases" not in plain
    assert plain["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}


def test_the_web_acl_has_the_managed_rule_groups_and_a_rate_limit():
    class Tagged(yaml.SafeLoader):
        pass

    Tagged.add_multi_constructor("!", lambda loader, tag, node: {tag: loader.construct_scalar(node)}
                                 if isinstance(node, yaml.ScalarNode) else None)
    waf = yaml.load((ROOT / "infra" / "waf.yaml").read_text(), Loader=Tagged)
    acl = waf["Resources"]["WebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT" and acl["DefaultAction"] == {"Allow": {}}
    groups = {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"]
              if "ManagedRuleGroupStatement" in r["Statement"]}
    assert groups == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                      "AWSManagedRulesAmazonIpReputationList"}
    (rate,) = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate["Action"] == {"Block": {}} and rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert "WebAclArn" in waf["Outputs"]
