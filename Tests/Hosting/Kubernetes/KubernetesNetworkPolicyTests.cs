namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>Network policies from the model's references and routes: default deny, each port open only to its clients.</summary>
public class KubernetesNetworkPolicyTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private string[] AllowedInto(string name, string overlay = "production")
    {
        var policy = manifests.Objects[overlay].Object("NetworkPolicy", name);
        Assert.Equal(name, policy.At("spec", "podSelector", "matchLabels", "app.kubernetes.io/name"));
        return [.. policy.Items("spec", "ingress").Single().Items("from").Select(peer => peer.At("namespaceSelector") is null
            ? (string)peer.At("podSelector", "matchLabels", "app.kubernetes.io/name")!
            : $"{peer.At("namespaceSelector", "matchLabels", "kubernetes.io/metadata.name")}/{peer.At("podSelector", "matchLabels", "app.kubernetes.io/name")}")];
    }

    [Fact]
    public void Every_overlay_denies_all_ingress_to_its_pods_unless_a_policy_allows_it()
    {
        foreach (var objects in manifests.Objects.Values)
        {
            var deny = objects.Object("NetworkPolicy", "default-deny");
            Assert.Empty((Dictionary<object, object>)deny.At("spec", "podSelector")!);
            Assert.Equal(["Ingress"], ((List<object>)deny.At("spec", "policyTypes")!).Cast<string>());
            Assert.Null(deny.At("spec", "ingress"));
        }
    }

    [Fact]
    public void Postgres_accepts_its_clients_redis_only_the_api_the_app_only_the_ingress_controller_and_the_api_the_app_and_the_controller()
    {
        Assert.Equal(["api", "scheduler"], AllowedInto("postgres"));
        Assert.Equal(["api"], AllowedInto("redis"));
        Assert.Equal(["ingress-nginx/ingress-nginx"], AllowedInto("app"));
        Assert.Equal(["app", "scheduler", "ingress-nginx/ingress-nginx"], AllowedInto("api")); // the scheduler's init container polls the api
        Assert.Equal("5432", manifests.Objects["production"].Object("NetworkPolicy", "postgres").At("spec", "ingress", 0, "ports", 0, "port"));
        Assert.DoesNotContain(manifests.Objects["production"], d => (string)d["kind"] == "NetworkPolicy" && (string?)d.At("metadata", "name") == "scheduler");
        Assert.Contains("test-runner", AllowedInto("redis", "testing")); // the testing model's runner references every service
    }
}
