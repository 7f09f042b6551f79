using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ichrisbirch.AppHost;

/// <summary>
/// DCP starts before the dashboard's resource service (run mode). Aspire registers the service that starts DCP
/// (<c>OrchestratorHostService</c>) as the last of its hosted services, and the host starts them one after the other,
/// so DCP waited for the resource service's web host (Kestrel, gRPC and its data-protection key ring: ~0.1 s on two
/// cores) and every other service before it. Here it is the first, and the host starts its services concurrently: it
/// calls each one's StartAsync in order and goes on to the next while one waits, so the others start while DCP's API
/// server comes up. The dashboard's resource-service address reaches DCP's executor through a task that completes when
/// that service has started, so the order does not matter to it; the end of start-up still waits for all of them.
/// </summary>
internal static class DcpFirst
{
    /// <summary>Aspire's hosted service that starts DCP and runs the application model in it.</summary>
    internal const string OrchestratorServiceName = "Aspire.Hosting.Orchestrator.OrchestratorHostService";

    /// <summary>Starts DCP first among the hosted services; false when this Aspire version no longer has the service (a test reports that).</summary>
    public static bool StartDcpFirst(this IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsRunMode) return false;
        var services = builder.Services;
        var orchestrator = services.FirstOrDefault(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.FullName == OrchestratorServiceName);
        if (orchestrator is null) return false;
        services.Remove(orchestrator);
        services.Insert(services.IndexOf(services.First(d => d.ServiceType == typeof(IHostedService))), orchestrator);
        services.Configure<HostOptions>(o => o.ServicesStartConcurrently = true);
        return true;
    }
}
