namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>Kubernetes' recommended labels on every workload, its pods and its Service; selectors by name alone.</summary>
public class KubernetesLabelTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private static readonly string[] Recommended = ["name", "instance", "component", "part-of", "version", "managed-by"];

    [Fact]
    public void Every_workload_its_pods_and_its_service_carry_the_recommended_labels_and_select_by_name_alone()
    {
        foreach (var (overlay, objects) in manifests.Objects)
        {
            foreach (var workload in objects.Where(d => (string)d["kind"] is "Deployment" or "StatefulSet" or "Job"))
            {
                var name = (string)workload.At("metadata", "name")!;
                var labeled = new[] { workload.At("metadata", "labels"), workload.At("spec", "template", "metadata", "labels") }
                    .Concat(objects.Where(d => (string)d["kind"] == "Service" && (string?)d.At("metadata", "name") == name).Select(s => s.At("metadata", "labels")));
                foreach (var labels in labeled)
                {
                    Assert.All(Recommended, key => Assert.False(string.IsNullOrEmpty((string?)labels.At($"app.kubernetes.io/{key}")), $"{overlay}: {name} lacks app.kubernetes.io/{key}"));
                    Assert.Equal("ichrisbirch", labels.At("app.kubernetes.io/part-of"));
                }
                if ((string)workload["kind"] != "Job") Assert.Equal(["app.kubernetes.io/name"], ((Dictionary<object, object>)workload.At("spec", "selector", "matchLabels")!).Keys.Cast<string>());
            }
        }
        var production = manifests.Objects["production"];
        Assert.Equal(("server", "15", "datastore"), ((string)production.Object("Deployment", "app").At("metadata", "labels", "app.kubernetes.io/component")!,
            (string)production.Object("StatefulSet", "postgres").At("metadata", "labels", "app.kubernetes.io/version")!,
            (string)production.Object("StatefulSet", "postgres").At("metadata", "labels", "app.kubernetes.io/component")!));
        Assert.Equal("worker", production.Object("Deployment", "scheduler").At("metadata", "labels", "app.kubernetes.io/component"));
    }
}
