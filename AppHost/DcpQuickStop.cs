using System.Diagnostics;
using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ichrisbirch.AppHost;

/// <summary>
/// Ctrl+C to nothing left (Linux, run mode, a model of processes only). On SIGTERM Aspire asks DCP to stop and exits at
/// once; DCP stops the services within their own stop time (0.4–0.8 s), and then its own processes linger about 3.5 s
/// more (its controller host's shutdown, a notification subscription retried, each monitor helper's poll: BENCHMARKS.md,
/// issue #20). Once every process DCP ran has exited there is nothing left for it to clean up, so the AppHost ends DCP's
/// processes itself before it exits. A model with containers is left to DCP, which removes them.
/// </summary>
internal static class DcpQuickStop
{
    /// <summary>How long the AppHost waits for DCP to stop the services before it leaves DCP to finish on its own.</summary>
    public static readonly TimeSpan ServicesStopWait = TimeSpan.FromSeconds(15);

    /// <summary>Ends DCP's processes as soon as the last process it ran has exited, when the AppHost stops.</summary>
    public static void EndDcpWithItsProcesses(this IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsRunMode || !OperatingSystem.IsLinux()) return;
        builder.Eventing.Subscribe<BeforeStartEvent>((e, ct) =>
        {
            if (e.Model.Resources.OfType<ContainerResource>().Any()) return Task.CompletedTask;
            var dcp = new DcpProcesses();
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            var lifetime = e.Services.GetRequiredService<IHostApplicationLifetime>();
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var update in notifications.WatchAsync(lifetime.ApplicationStopping).ConfigureAwait(false))
                    {
                        if (dcp.Found) break;
                        if (update.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid) dcp.FindFrom(Convert.ToInt32(pid, CultureInfo.InvariantCulture));
                    }
                }
                catch (OperationCanceledException)
                {
                    // The AppHost is stopping.
                }
            }, lifetime.ApplicationStopping);
            lifetime.ApplicationStopped.Register(() => dcp.EndWhenAlone(ServicesStopWait));
            return Task.CompletedTask;
        });
    }
}

/// <summary>The DCP api server that runs this AppHost's processes (found from one of them), and its process tree.</summary>
internal sealed class DcpProcesses
{
    private int _apiServer;
    private long _apiServerStart;

    /// <summary>Whether the api server is known.</summary>
    public bool Found => _apiServer != 0;

    /// <summary>Finds DCP's api server among the ancestors of <paramref name="pid"/>, a process DCP started.</summary>
    public void FindFrom(int pid)
    {
        for (var current = pid; current > 1 && !Found; current = ProcFs.Parent(current))
        {
            var argv = ProcFs.Arguments(current);
            if (argv.Length > 1 && Path.GetFileName(argv[0]) == "dcp" && argv.Contains("start-apiserver"))
            {
                _apiServerStart = ProcFs.StartTime(current);
                _apiServer = current;
            }
        }
    }

    /// <summary>
    /// Waits until DCP's tree holds no process but DCP's own, then kills them (api server first, so nothing new
    /// starts). Gives up after <paramref name="wait"/> and leaves DCP to finish its own stop.
    /// </summary>
    public void EndWhenAlone(TimeSpan wait)
    {
        if (!Found) return;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < wait)
        {
            if (ProcFs.StartTime(_apiServer) != _apiServerStart) return; // DCP has gone already
            var tree = ProcFs.Descendants(_apiServer);
            if (tree.All(IsDcp))
            {
                foreach (var pid in (int[])[_apiServer, .. tree]) ProcFs.Kill(pid);
                return;
            }
            Thread.Sleep(25);
        }
    }

    private static bool IsDcp(int pid) => ProcFs.Arguments(pid) is var argv && (argv.Length == 0 || Path.GetFileName(argv[0]) == "dcp");
}
