using System.Text;
using Aspire.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.Tests.EndToEnd;

/// <summary>Starts the AppHost (Local infrastructure) for a test and tears it down.</summary>
public sealed class Stack : IAsyncDisposable
{
    public static readonly string[] Services = ["postgres", "redis", "api", "app", "scheduler"];

    private Stack(DistributedApplication app) => App = app;

    public DistributedApplication App { get; }

    public ResourceNotificationService Notifications => App.Services.GetRequiredService<ResourceNotificationService>();

    /// <summary>Builds and starts the AppHost with <paramref name="args"/> (environment Testing, Local mode unless overridden).</summary>
    public static async Task<Stack> StartAsync(params string[] args)
    {
        string[] defaults = ["--environment", "Testing", "--Ichrisbirch:Infrastructure=Local"];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>([.. defaults, .. args]);
        var app = await builder.BuildAsync();
        try
        {
            // Generous: on two cores another stack, a cold venv or a build may share the machine with this start.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(240));
            await app.StartAsync(cts.Token);
            return new Stack(app);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async Task WaitHealthyAsync(IEnumerable<string> names, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await Task.WhenAll(names.Select(n => Notifications.WaitForResourceHealthyAsync(n, cts.Token)));
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Not healthy in time. States: {await DescribeAsync()}");
        }
    }

    public HttpClient Client(string resource) => App.CreateHttpClient(resource, "http");

    public string State(string name)
        => Notifications.TryGetCurrentState(name, out var e) ? $"{e.Snapshot.State?.Text} / {e.Snapshot.HealthStatus} / exit {e.Snapshot.ExitCode}" : "unknown";

    public async Task<string> DescribeAsync()
    {
        var sb = new StringBuilder();
        foreach (var name in Services)
        {
            sb.Append($"\n  {name}: {State(name)}");
            foreach (var line in (await LogsAsync(name)).TakeLast(5)) sb.Append($"\n      | {line}");
        }
        return sb.ToString();
    }

    /// <summary>The log lines of a resource so far.</summary>
    public async Task<IReadOnlyList<string>> LogsAsync(string name)
    {
        if (!Notifications.TryGetCurrentState(name, out var e)) return [];
        var loggerService = App.Services.GetRequiredService<ResourceLoggerService>();
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        try
        {
            await foreach (var batch in loggerService.WatchAsync(e.ResourceId).WithCancellation(cts.Token))
            {
                lines.AddRange(batch.Select(l => l.Content));
            }
        }
        catch (OperationCanceledException)
        {
        }
        return lines;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
