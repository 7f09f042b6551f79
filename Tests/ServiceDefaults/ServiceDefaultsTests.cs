using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Tests.ServiceDefaults;

/// <summary>WithServiceDefaults on a bare builder: the probe it adds, and the order it needs.</summary>
public class ServiceDefaultsTests
{
    [Fact]
    public async Task WithServiceDefaults_before_the_http_endpoint_stops_the_start_with_a_line_naming_the_order()
    {
        using var root = new ScratchDirectory();
        var builder = Models.Builder(root.Path);
        builder.AddExecutable("worker", "true", root.Path).WithServiceDefaults().WithHttpEndpoint(name: "http");

        var ex = await Assert.ThrowsAsync<ServiceDefaultsOrderException>(() => Models.AtStartAsync(builder));
        Assert.Equal("worker: WithServiceDefaults() ran before its http endpoint was added, so it has no /health probe; " +
                     "call WithServiceDefaults() after the call that adds the endpoint.", ex.Message);
    }

    [Fact]
    public async Task WithServiceDefaults_after_the_http_endpoint_probes_health_and_starts()
    {
        using var root = new ScratchDirectory();
        var builder = Models.Builder(root.Path);
        builder.AddExecutable("worker", "true", root.Path).WithHttpEndpoint(name: "http").WithServiceDefaults();
        builder.AddExecutable("job", "true", root.Path).WithServiceDefaults(); // no http endpoint at all: no probe, no error

        var model = await Models.AtStartAsync(builder);
        Assert.Equal("/health", Assert.Single(model.Resources.Single(r => r.Name == "worker").Annotations.OfType<HealthProbeAnnotation>()).Path);
        Assert.Empty(model.Resources.Single(r => r.Name == "job").Annotations.OfType<HealthProbeAnnotation>());
    }

    [Fact]
    public async Task The_log_level_is_the_one_the_AppHost_configures()
    {
        using var root = new ScratchDirectory();
        var builder = Models.Builder(root.Path);
        builder.ConfigureServiceDefaults(defaults => defaults.LogLevel = "DEBUG");
        var worker = builder.AddExecutable("worker", "true", root.Path).WithServiceDefaults();

        Assert.Equal("debug", (await Models.EnvironmentAsync(worker.Resource))["LOG_LEVEL"]);
    }

    [Fact]
    public void WithServiceDefaults_gives_every_service_a_5_second_pre_stop_pause_and_35_seconds_after_SIGTERM()
    {
        using var root = new ScratchDirectory();
        var worker = Models.Builder(root.Path).AddExecutable("worker", "true", root.Path).WithServiceDefaults().Resource;

        var stop = Assert.Single(worker.Annotations.OfType<GracefulStopAnnotation>());
        Assert.Equal(TimeSpan.FromSeconds(35), stop.GracePeriod); // above gunicorn's graceful_timeout (30 s)
        Assert.Equal(TimeSpan.FromSeconds(5), stop.PreStopPause);
    }
}
