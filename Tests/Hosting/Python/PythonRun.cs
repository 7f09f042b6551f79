using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.Hosting.Python;

/// <summary>A bare AppHost of Python resources started for real, and what the run tests read from it.</summary>
internal static class PythonRun
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);

    public static async Task<DistributedApplication> StartAsync(Action<IDistributedApplicationBuilder> model)
    {
        // A bare model; the AppHost assembly's metadata only tells the builder where DCP is.
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = ["--environment", "Development"],
            AssemblyName = typeof(Ichrisbirch.AppHost.IchrisbirchSettings).Assembly.GetName().Name,
            DisableDashboard = true,
        });
        builder.ConfigurePythonHosting(o =>
        {
            o.BaseInterpreter = LoopbackIndex.Python;
            o.SystemSitePackages = true; // uvicorn and debugpy from Debian's python3-* packages
        });
        model(builder);
        var app = builder.Build();
        using var cts = new CancellationTokenSource(Patience);
        await app.StartAsync(cts.Token);
        return app;
    }

    public static async Task<string> GetUntilOkAsync(DistributedApplication app, string resource)
    {
        using var http = app.CreateHttpClient(resource, "http");
        for (var deadline = DateTime.UtcNow + Patience; ; await Task.Delay(200))
        {
            try
            {
                return await http.GetStringAsync("/");
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }
        }
    }

    public static ResourceEvent? State(DistributedApplication app, string name)
        => app.Services.GetRequiredService<ResourceNotificationService>().TryGetCurrentState(name, out var e) ? e : null;

    public static async Task<IReadOnlyList<string>> LogsAsync(DistributedApplication app, string name)
    {
        if (State(app, name) is not { } e) return [];
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        try
        {
            await foreach (var batch in app.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(e.ResourceId).WithCancellation(cts.Token))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }
        }
        catch (OperationCanceledException)
        {
        }
        return lines;
    }

    public static async Task<string> FailureLineAsync(DistributedApplication app, string resource, string mustContain)
    {
        using var cts = new CancellationTokenSource(Patience);
        await app.Services.GetRequiredService<ResourceNotificationService>()
            .WaitForResourceAsync(resource, e => e.Snapshot.State?.Text == KnownResourceStates.FailedToStart, cts.Token);
        var logs = await LogsAsync(app, resource);
        Assert.DoesNotContain(logs, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"(^|\n)\s+at \S+\(")); // no stack trace
        return Assert.Single(logs, l => l.Contains(mustContain, StringComparison.Ordinal));
    }
}
