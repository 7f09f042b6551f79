using Ichrisbirch.AppHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Ichrisbirch.Tests.AppHost;

/// <summary>DCP's hosted service starts first, and the host starts its services concurrently (see <see cref="DcpFirst"/>).</summary>
public class DcpFirstTests
{
    [Fact]
    public async Task Dcp_starts_first_among_the_hosted_services_and_they_start_concurrently()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(["--environment", "Testing", "--Ichrisbirch:Infrastructure=Local"]);
        var hosted = builder.Services.Where(d => d.ServiceType == typeof(IHostedService)).ToList();
        Assert.True(hosted.Count > 1);
        Assert.True(hosted[0].ImplementationType?.FullName == DcpFirst.OrchestratorServiceName,
            $"{DcpFirst.OrchestratorServiceName} is gone or no longer first: DCP waits for the dashboard's resource service again; find the new service. First: {hosted[0]}");
        Assert.Single(hosted, d => d.ImplementationType?.FullName == DcpFirst.OrchestratorServiceName);

        await using var app = await builder.BuildAsync();
        Assert.True(app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ServicesStartConcurrently);
    }
}
