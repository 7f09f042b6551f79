namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>What a compromised pod can reach is the least it needs: no API token, a read-only root, its own namespace.</summary>
public class KubernetesHardeningTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private static IEnumerable<Dictionary<object, object>> Workloads(List<Dictionary<object, object>> objects)
        => objects.Where(d => (string)d["kind"] is "Deployment" or "StatefulSet" or "Job");

    [Fact]
    public void No_pod_mounts_a_service_account_token_and_every_container_has_a_read_only_root_with_an_empty_dir_for_tmp()
    {
        foreach (var (overlay, objects) in manifests.Objects)
        {
            foreach (var workload in Workloads(objects))
            {
                var where = $"{overlay}: {workload.At("metadata", "name")}";
                var pod = workload.At("spec", "template", "spec");
                Assert.True((string?)pod.At("automountServiceAccountToken") == "false", where);
                Assert.All(workload.Containers(), c => Assert.True((string?)c.At("securityContext", "readOnlyRootFilesystem") == "true", $"{where}/{c["name"]}"));
                var main = workload.Items("spec", "template", "spec", "containers").Single();
                var tmp = main.Items("volumeMounts").Single(m => (string)m["mountPath"] == "/tmp");
                Assert.NotNull(pod.Items("volumes").Single(v => v["name"].Equals(tmp["name"])).At("emptyDir"));
            }
        }
        var postgres = manifests.Objects["production"].Object("StatefulSet", "postgres").Items("spec", "template", "spec", "containers").Single();
        Assert.Contains(postgres.Items("volumeMounts"), m => (string)m["mountPath"] == "/var/run/postgresql");
    }

    [Fact]
    public void The_services_of_the_statefulsets_are_headless_and_the_others_keep_a_cluster_ip()
    {
        var production = manifests.Objects["production"];
        foreach (var name in new[] { "postgres", "redis" })
        {
            Assert.Equal(name, production.Object("StatefulSet", name).At("spec", "serviceName"));
            Assert.Equal("None", production.Object("Service", name).At("spec", "clusterIP"));
        }
        Assert.Null(production.Object("Service", "api").At("spec", "clusterIP"));
    }

    [Fact]
    public void Each_overlay_puts_every_object_into_the_namespace_the_apphost_names()
    {
        foreach (var (overlay, ns) in new[] { ("production", "ichrisbirch"), ("development", "ichrisbirch-development"), ("testing", "ichrisbirch-testing") })
        {
            Assert.All(manifests.Objects[overlay], d => Assert.Equal(ns, d.At("metadata", "namespace")));
        }
    }
}
