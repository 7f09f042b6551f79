using System.Reflection;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Ichrisbirch.AppHost;

/// <summary>
/// How the AppHost starts, the same for F5, <c>dotnet run --project AppHost</c> and <c>scripts/run.sh</c> (which runs
/// the built AppHost without launchSettings.json): the dashboard's name, its access rules and the runtime settings of
/// the orchestration's own processes. Its URLs and transport are Aspire settings in AppHost/appsettings.json.
/// </summary>
internal static class AppHostStartup
{
    /// <summary>The application name the dashboard shows.</summary>
    public const string ApplicationName = "Ichrisbirch";

    /// <summary>Aspire's opt-in for a dashboard without the browser token (and an OTLP endpoint without the API key).</summary>
    public const string AllowAnonymousKey = "ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS";

    /// <summary>
    /// Runtime settings of the processes the AppHost starts for itself, inherited through the environment: DCP is Go
    /// (apiserver, run-controllers, one monitor per process it runs). A value already in the environment wins. The
    /// dashboard (native AOT) showed no change with DOTNET_gcServer=0 or a smaller gen0 budget, so it gets nothing.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> OrchestrationRuntime = new Dictionary<string, string>
    {
        // Go's GC target: DCP's heaps are small and mostly start-up garbage; 25 % instead of 100 % keeps them smaller.
        ["GOGC"] = "25",
    };

    /// <summary>
    /// How much longer Aspire waits after each failed health check of a starting resource. Aspire's own step is 1 s
    /// (waits of 1, 2, 3, 4, 5 s; not configurable), so a service healthy 1.1 s after it started is seen at 3 s and
    /// everything that waits for it starts about 2 s late. 20 ms: checks 20, 40, …, 100 ms apart while a resource
    /// starts, so a dependant starts at most 0.1 s after its dependency is healthy; once healthy, Aspire re-checks every
    /// 30 s. The checks are local HTTP, SQL and PING calls (BENCHMARKS.md, issue #20: 0.35–0.4 s per gate at 100 ms).
    /// </summary>
    public static readonly TimeSpan HealthRecheckStep = TimeSpan.FromMilliseconds(20);

    /// <summary>Creates the AppHost's builder: the dashboard is named for the application and only Development or Testing may open it to anyone.</summary>
    public static IDistributedApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions { Args = args, DashboardApplicationName = ApplicationName });
        if (!builder.ExecutionContext.IsRunMode) return builder;

        foreach (var (name, value) in OrchestrationRuntime)
        {
            if (Environment.GetEnvironmentVariable(name) is null) Environment.SetEnvironmentVariable(name, value);
        }
        builder.AskDcpInfoAhead(); // first: it runs while the model is built
        builder.StartDcpFirst(); // before the dashboard's resource service
        builder.LowerDashboardPriority();
        builder.EndDcpWithItsProcesses(); // Ctrl+C: nothing left once the services have stopped
        var anonymous = builder.Configuration.GetValue<bool>(AllowAnonymousKey);
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            ShortenHealthRechecks(e.Services);
            if (anonymous && builder.Environment.IsProduction())
            {
                throw new SetupException(
                    $"Production never opens the dashboard without its login token, but {AllowAnonymousKey}=true is set. " +
                    "Unset it (environment, --option or appsettings), or run Development for anonymous access.");
            }
            return Task.CompletedTask;
        });
        return builder;
    }

    /// <summary>
    /// Sets <see cref="HealthRecheckStep"/> on Aspire's resource health monitor (an internal setting: false when this
    /// Aspire version no longer has it, which a test reports).
    /// </summary>
    internal static bool ShortenHealthRechecks(IServiceProvider services)
    {
        // Only this one service: resolving every hosted service this early reorders Aspire's own start-up subscriptions.
        var type = typeof(DistributedApplication).Assembly.GetType("Aspire.Hosting.Health.ResourceHealthCheckService");
        var monitor = type is null ? null : services.GetService(type);
        var step = monitor?.GetType().GetProperty("NonHealthyHealthCheckStepInterval", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        if (step?.PropertyType != typeof(TimeSpan) || !step.CanWrite) return false;
        step.SetValue(monitor, HealthRecheckStep);
        return true;
    }
}
