using System.Globalization;
using System.Text.RegularExpressions;
using Ichrisbirch.Tests.Hosting.Compose;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>
/// Rollouts: a changed setting rolls exactly the pods that read it (ConfigMaps with a content hash in the name), and a
/// stopping pod finishes its requests (grace above gunicorn's graceful timeout, after a pre-stop pause).
/// </summary>
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

    [Theory]
    [InlineData("api")]
    [InlineData("app")]
    public void Pods_and_compose_services_get_more_than_gunicorns_graceful_timeout_the_pods_after_a_short_pre_stop_pause(string name)
    {
        var conf = File.ReadAllText(Path.Combine(Publisher.RepoRoot, "services", "gunicorn.conf.py"));
        var gunicorn = int.Parse(Regex.Match(conf, @"^graceful_timeout = (\d+)", RegexOptions.Multiline).Groups[1].Value, CultureInfo.InvariantCulture);
        var compose = Publisher.ReadYaml(Path.Combine(manifests.Output, "docker-compose.yml")).Map("services");
        var stop = int.Parse(((string)compose.Map(name)["stop_grace_period"]).TrimEnd('s'), CultureInfo.InvariantCulture);

        var pod = manifests.Objects["production"].Object("Deployment", name).At("spec", "template", "spec");
        var grace = int.Parse((string)pod.At("terminationGracePeriodSeconds")!, CultureInfo.InvariantCulture);
        var preStop = (List<object>)pod.Items("containers").Single().At("lifecycle", "preStop", "exec", "command")!;
        Assert.Equal("sleep", preStop[0]);
        var pause = int.Parse((string)preStop[1], CultureInfo.InvariantCulture);

        Assert.InRange(pause, 1, 10);
        Assert.True(stop > gunicorn, $"{name}: compose stop_grace_period {stop}s is not above gunicorn's graceful_timeout {gunicorn}s");
        Assert.Equal(pause + stop, grace); // one annotation: the pod gets the pause plus what compose gives after SIGTERM
    }
}
