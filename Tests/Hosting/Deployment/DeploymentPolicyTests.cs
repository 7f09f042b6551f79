namespace Ichrisbirch.Tests.Hosting.Deployment;

/// <summary>
/// The health probe and graceful stop are deployment policy (Hosting/Deployment), usable without ServiceDefaults;
/// ServiceDefaults only calls them with its defaults. No process runs.
/// </summary>
public class DeploymentPolicyTests
{
    [Fact]
    public void WithHealthProbe_gives_deployments_the_path_and_run_mode_a_health_check_on_the_same_endpoint()
    {
        using var root = new ScratchDirectory();
        var web = Models.Builder(root.Path).AddExecutable("web", "true", root.Path)
            .WithHttpEndpoint(name: "admin").WithHealthProbe("/ready", endpointName: "admin").Resource;

        Assert.Equal(new HealthProbeAnnotation("/ready", "admin"), Assert.Single(web.Annotations.OfType<HealthProbeAnnotation>()));
        Assert.Single(web.Annotations.OfType<HealthCheckAnnotation>());
    }

    [Fact]
    public void WithGracefulStop_sets_one_grace_period_the_last_call_wins()
    {
        using var root = new ScratchDirectory();
        var web = Models.Builder(root.Path).AddExecutable("web", "true", root.Path)
            .WithGracefulStop(TimeSpan.FromSeconds(10)).WithGracefulStop(TimeSpan.FromSeconds(40)).Resource;

        Assert.Equal(TimeSpan.FromSeconds(40), Assert.Single(web.Annotations.OfType<GracefulStopAnnotation>()).GracePeriod);
    }
}
