namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>A changed setting rolls exactly the pods that read it: ConfigMaps are generated with a hash of their content in the name.</summary>
public class KubernetesRolloutTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private static IEnumerable<string> ConfigMapsReadBy(List<Dictionary<object, object>> objects, string kind, string name)
        => objects.Object(kind, name).Items("spec", "template", "spec", "containers").Single().Items("env")
            .Select(e => (string?)e.At("valueFrom", "configMapKeyRef", "name")).OfType<string>().Distinct();

    [Fact]
    public void Every_configmap_reference_of_every_overlay_names_a_configmap_generated_with_a_content_hash()
    {
        foreach (var (overlay, objects) in manifests.Objects)
        {
            foreach (var workload in objects.Where(d => (string)d["kind"] is "Deployment" or "StatefulSet" or "Job"))
            {
                var name = (string)workload.At("metadata", "name")!;
                var read = ConfigMapsReadBy(objects, (string)workload["kind"], name).ToList();
                if (name == "redis") Assert.Empty(read); // its one variable is a secret
                else Assert.Equal([(string)objects.ConfigMap($"{name}-env").At("metadata", "name")!], read);
            }
        }
        Assert.NotEqual(manifests.Objects["production"].ConfigMap("api-env").At("metadata", "name"), manifests.Objects["development"].ConfigMap("api-env").At("metadata", "name"));
    }

    [Fact]
    public async Task Changing_a_setting_renames_the_configmaps_that_hold_it_so_their_pods_roll_and_no_other()
    {
        var output = await Manifests.WriteAsync(builder =>
        {
            builder.Configuration["Ichrisbirch:LogLevel"] = "warning";
            Program.Ichrisbirch(builder);
        });
        try
        {
            var k8s = Path.Combine(output, "k8s");
            Manifests.FillSecrets(k8s);
            var changed = Manifests.Documents(await Manifests.RenderAsync(k8s, "production"));
            var before = manifests.Objects["production"];
            Assert.Equal("warning", changed.ConfigMap("api-env").At("data", "LOG_LEVEL"));
            Assert.NotEqual(ConfigMapsReadBy(before, "Deployment", "api"), ConfigMapsReadBy(changed, "Deployment", "api"));
            Assert.Equal(ConfigMapsReadBy(before, "StatefulSet", "postgres"), ConfigMapsReadBy(changed, "StatefulSet", "postgres"));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
