using System.Globalization;
using System.Runtime.InteropServices;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Ichrisbirch.AppHost;

/// <summary>
/// The dashboard yields the CPU to the services (Linux, run mode): its threads run at <see cref="Niceness"/>. It starts
/// with PostgreSQL and Redis and spends its first second compiling itself, on a two-core machine exactly when the api
/// imports and starts; a viewer need not win that race. On an idle machine nice changes nothing.
/// </summary>
internal static class DashboardPriority
{
    /// <summary>The dashboard's nice value (0 is normal, 19 the lowest priority).</summary>
    public const int Niceness = 10;

    /// <summary>Aspire's name of the dashboard resource.</summary>
    public const string ResourceName = "aspire-dashboard";

    /// <summary>Lowers the dashboard's priority as soon as its process exists.</summary>
    public static void LowerDashboardPriority(this IDistributedApplicationBuilder builder)
    {
        if (!builder.ExecutionContext.IsRunMode || !OperatingSystem.IsLinux()) return;
        builder.Eventing.Subscribe<BeforeStartEvent>((e, ct) =>
        {
            var notifications = e.Services.GetRequiredService<ResourceNotificationService>();
            var stopping = e.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var update in notifications.WatchAsync(stopping).ConfigureAwait(false))
                    {
                        // Every update of the dashboard (a handful): a thread made from one not yet lowered gets lowered too.
                        if (update.Resource.Name != ResourceName) continue;
                        if (update.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid) Lower(Convert.ToInt32(pid, CultureInfo.InvariantCulture));
                    }
                }
                catch (OperationCanceledException)
                {
                    // The AppHost is stopping.
                }
            }, stopping);
            return Task.CompletedTask;
        });
    }

    /// <summary>Sets <see cref="Niceness"/> on every thread of <paramref name="pid"/> (on Linux nice is per thread; new threads inherit it).</summary>
    internal static int Lower(int pid)
    {
        var lowered = 0;
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                if (int.TryParse(Path.GetFileName(task), out var tid) && SetPriority(PrioProcess, tid, Niceness) == 0) lowered++;
            }
        }
        catch (IOException)
        {
            // Gone already.
        }
        return lowered;
    }

    private const int PrioProcess = 0;

    [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static extern int SetPriority(int which, int who, int prio);
}
