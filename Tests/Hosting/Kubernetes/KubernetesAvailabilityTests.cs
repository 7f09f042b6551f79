using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Tests.Hosting.Kubernetes;

/// <summary>A deploy or a node drain never takes the site down; the single-instance scheduler never runs twice.</summary>
public class KubernetesAvailabilityTests(RenderedManifests manifests) : IClassFixture<RenderedManifests>
{
    private List<Dictionary<object, object>> Production => manifests.Objects["production"];

    [Theory]
    [InlineData("api")]
    [InlineData("app")]
    public void A_service_that_takes_traffic_rolls_with_no_replica_down_spread_over_nodes_with_a_disruption_budget(string name)
    {
        var deployment = Production.Object("Deployment", name);
        Assert.Equal(("RollingUpdate", "0"), ((string)deployment.At("spec", "strategy", "type")!, (string)deployment.At("spec", "strategy", "rollingUpdate", "maxUnavailable")!));
        var spread = deployment.Items("spec", "template", "spec", "topologySpreadConstraints").Single();
        Assert.Equal(("kubernetes.io/hostname", name), ((string)spread["topologyKey"], (string)spread.At("labelSelector", "matchLabels", "app.kubernetes.io/name")!));
        var budget = Production.Object("PodDisruptionBudget", name);
        Assert.Equal(("1", name), ((string)budget.At("spec", "maxUnavailable")!, (string)budget.At("spec", "selector", "matchLabels", "app.kubernetes.io/name")!));
    }

    [Fact]
    public void In_production_each_service_that_takes_traffic_runs_at_least_two_replicas_and_none_is_set_where_an_autoscaler_owns_them()
    {
        Assert.True(int.Parse((string)Production.Object("Deployment", "app").At("spec", "replicas")!) >= 2);
        Assert.True(int.Parse((string)Production.Object("HorizontalPodAutoscaler", "api").At("spec", "minReplicas")!) >= 2);
        foreach (var scaled in Production.Where(d => (string)d["kind"] == "HorizontalPodAutoscaler"))
        {
            Assert.Null(Production.Object("Deployment", (string)scaled.At("spec", "scaleTargetRef", "name")!).At("spec", "replicas"));
        }
    }

    [Fact]
    public void The_single_instance_scheduler_runs_one_replica_replaced_with_recreate_and_has_no_budget_or_autoscaler()
    {
        foreach (var objects in manifests.Objects.Values)
        {
            var scheduler = objects.Object("Deployment", "scheduler");
            Assert.Equal(("1", "Recreate"), ((string)scheduler.At("spec", "replicas")!, (string)scheduler.At("spec", "strategy", "type")!));
            Assert.DoesNotContain(objects, d => (string)d["kind"] is "PodDisruptionBudget" or "HorizontalPodAutoscaler" && (string?)d.At("metadata", "name") == "scheduler");
        }
    }

    [Fact]
    public async Task Autoscaling_a_single_instance_service_stops_the_publish_with_one_line_naming_the_fix()
    {
        var error = await Assert.ThrowsAsync<PublishException>(() => Manifests.WriteAsync(builder =>
        {
            Program.Ichrisbirch(builder);
            var bundle = builder.CreateResourceBuilder(builder.Resources.OfType<KustomizeBundleResource>().Single());
            bundle.WithAutoscaling(builder.CreateResourceBuilder(builder.Resources.Single(r => r.Name == "scheduler")), min: 2, max: 3);
        }));
        Assert.Equal("scheduler is single-instance and cannot be autoscaled; drop WithAutoscaling for it or WithSingleInstance.", error.Message);
    }
}
