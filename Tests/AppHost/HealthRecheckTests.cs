using Ichrisbirch.AppHost;

namespace Ichrisbirch.Tests.AppHost;

/// <summary>Aspire re-checks a starting resource every 20 ms more, not every 1 s more (see <see cref="AppHostStartup.HealthRecheckStep"/>).</summary>
public class HealthRecheckTests
{
    [Fact]
    public async Task Aspire_still_has_the_health_recheck_step_the_apphost_shortens()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--environment", "Testing", "--Ichrisbirch:Infrastructure=Local"]);
        await using var app = await builder.BuildAsync();
        Assert.True(AppHostStartup.ShortenHealthRechecks(app.Services),
            "Aspire.Hosting.Health.ResourceHealthCheckService.NonHealthyHealthCheckStepInterval is gone: dependents start up to 4 s late again; find the new knob.");
    }
}
