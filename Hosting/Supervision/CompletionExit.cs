using System.Text.RegularExpressions;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>Copies a run-once resource's output to the console and ends the application with its exit code.</summary>
internal sealed partial class CompletionExit(IResource resource)
{
    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT[\d:.]+Z ")]
    private static partial Regex Timestamp();

    private Task? _forwarding;
    private long _lastLineTicks = DateTime.UtcNow.Ticks;

    public void ForwardOutput(IServiceProvider services)
    {
        _forwarding ??= Task.Run(async () =>
        {
            var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            try
            {
                await foreach (var batch in services.GetRequiredService<ResourceLoggerService>().WatchAsync(resource).WithCancellation(stopping).ConfigureAwait(false))
                {
                    foreach (var line in batch.Select(l => Timestamp().Replace(l.Content, "", 1)).Where(l => !l.StartsWith("[sys] ", StringComparison.Ordinal)))
                    {
                        await Console.Out.WriteLineAsync(line).ConfigureAwait(false);
                    }
                    Interlocked.Exchange(ref _lastLineTicks, DateTime.UtcNow.Ticks);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public Task OnStoppedAsync(IServiceProvider services, CustomResourceSnapshot snapshot)
    {
        _ = FinishAsync(services, snapshot); // not inline: this runs inside the orchestrator's event dispatch
        return Task.CompletedTask;
    }

    private async Task FinishAsync(IServiceProvider services, CustomResourceSnapshot snapshot)
    {
        var exitCode = snapshot.State?.Text == KnownResourceStates.FailedToStart ? 1 : snapshot.ExitCode ?? 1;
        // The last lines may still be on their way: wait until the output has been quiet for a moment (at most 5 s).
        for (var waited = 0; waited < 50 && DateTime.UtcNow.Ticks - Interlocked.Read(ref _lastLineTicks) < TimeSpan.FromMilliseconds(500).Ticks; waited++)
        {
            await Task.Delay(100).ConfigureAwait(false);
        }
        await Console.Out.FlushAsync().ConfigureAwait(false);
        services.GetRequiredService<ILoggerFactory>().CreateLogger("Aspire.Hosting.Supervision")
            .LogInformation("{Resource} finished with exit code {ExitCode}: stopping the application", resource.Name, exitCode);
        Environment.ExitCode = exitCode;
        services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
    }
}
