using System.Reflection;
using Aspire.Hosting.Lifecycle;

namespace Ichrisbirch.AppHost;

/// <summary>
/// Aspire asks <c>dcp info</c> (DCP's version and container runtime: 0.3–0.5 s, a Go process that probes docker) and waits
/// for the answer before it starts DCP, after the start hooks and the host's own services have started. Asked as soon as the
/// start hooks begin instead, the answer is ready (Aspire keeps it) when DCP is due: launch → DCP is that much shorter.
/// </summary>
internal static class DcpInfoAhead
{
    /// <summary>Asks for DCP's info in the background as the start hooks begin (run mode).</summary>
    public static void AskDcpInfoAhead(this IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsRunMode) return;
        builder.Eventing.Subscribe<BeforeStartEvent>((e, ct) =>
        {
            Start(e.Services, ct);
            return Task.CompletedTask;
        });
    }

    /// <summary>
    /// Starts Aspire's own (internal) dependency check, whose answer Aspire caches for its later call. False when this Aspire
    /// version no longer has it (a test reports that), or when DCP is missing: then Aspire's own call reports it as usual.
    /// </summary>
    internal static bool Start(IServiceProvider services, CancellationToken ct)
    {
        var type = typeof(DistributedApplication).Assembly.GetType("Aspire.Hosting.Dcp.IDcpDependencyCheckService");
        var check = type is null ? null : services.GetService(type);
        var ask = type?.GetMethod("GetDcpInfoAsync", [typeof(bool), typeof(CancellationToken)]);
        var options = typeof(DistributedApplication).Assembly.GetType("Aspire.Hosting.Dcp.DcpOptions");
        var optionsType = options is null ? null : typeof(Microsoft.Extensions.Options.IOptions<>).MakeGenericType(options);
        var cliPath = optionsType is null ? null : optionsType.GetProperty("Value")?.GetValue(services.GetService(optionsType)) is { } value
            ? options!.GetProperty("CliPath", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(value) as string : null;
        if (check is null || ask is null || cliPath is null || !File.Exists(cliPath)) return false;
        _ = Task.Run(async () =>
        {
            try
            {
                await ((Task)ask.Invoke(check, [false, ct])!).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Aspire's own call (which waits for this one) sees no answer and starts DCP, which then reports the problem.
            }
        }, ct);
        return true;
    }
}
