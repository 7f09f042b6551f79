using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>Watches one resource: decides whether an exit is restarted, waits the backoff and starts it again.</summary>
internal sealed class ResourceSupervisor(IResource resource, SupervisorOptions options, IServiceProvider services)
{
    internal const string RestartsProperty = "supervisor.restarts";
    internal const string LastExitCodeProperty = "supervisor.last-exit-code";
    internal const string StatusProperty = "supervisor.status";

    private readonly Lock _gate = new();
    private readonly ILogger _console = services.GetRequiredService<ILoggerFactory>().CreateLogger("Aspire.Hosting.Supervision");
    private readonly CancellationToken _appStopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
    private bool _stopRequested;
    private int _consecutive;
    private int _restarts;
    private CancellationTokenSource? _pending;
    private readonly HashSet<ResourceCommandAnnotation> _wrapped = [];

    public IResource Resource { get; } = resource;

    /// <summary>Wraps the dashboard's Stop/Start/Restart commands so that a stop the user asked for is remembered.</summary>
    public void InterceptUserCommands()
    {
        foreach (var command in Resource.Annotations.OfType<ResourceCommandAnnotation>().Where(c => !_wrapped.Contains(c)).ToList())
        {
            Func<ExecuteCommandContext, Task<ExecuteCommandResult>>? wrapped = null;
            if (command.Name == KnownResourceCommands.StopCommand)
            {
                wrapped = async ctx => { MarkStopRequested(true); return await command.ExecuteCommand(ctx).ConfigureAwait(false); };
            }
            else if (command.Name == KnownResourceCommands.RestartCommand)
            {
                wrapped = async ctx =>
                {
                    MarkStopRequested(true);
                    try { return await command.ExecuteCommand(ctx).ConfigureAwait(false); }
                    finally { MarkStopRequested(false); }
                };
            }
            else if (command.Name == KnownResourceCommands.StartCommand)
            {
                wrapped = ctx => { MarkStopRequested(false); return command.ExecuteCommand(ctx); };
            }
            if (wrapped is null) continue;
            Resource.Annotations.Remove(command);
            var replacement = new ResourceCommandAnnotation(command.Name, command.DisplayName, command.UpdateState, wrapped,
                command.DisplayDescription, command.Arguments, command.ConfirmationMessage, command.IconName, command.IconVariant, command.IsHighlighted,
                command.Visibility, command.ValidateArguments);
            _wrapped.Add(replacement);
            Resource.Annotations.Add(replacement);
        }
    }

    private void MarkStopRequested(bool requested)
    {
        lock (_gate)
        {
            _stopRequested = requested;
            if (requested)
            {
                _pending?.Cancel();
                _consecutive = 0;
            }
        }
    }

    /// <summary>Called once per transition into a terminal state.</summary>
    public async Task OnStoppedAsync(CustomResourceSnapshot snapshot)
    {
        var state = snapshot.State?.Text;
        var exitCode = snapshot.ExitCode;
        string? verdict = null;
        var delay = TimeSpan.Zero;
        var attempt = 0;
        CancellationTokenSource? pending = null;
        lock (_gate)
        {
            if (_appStopping.IsCancellationRequested || _stopRequested) return;
            verdict = options.WhyNotRestarted(state, exitCode, Resource.GetRestartPolicy());
            if (verdict is not null)
            {
                _console.LogWarning("{Resource} {Verdict}", Resource.Name, verdict);
            }
            else
            {
                if (snapshot.StartTimeStamp is { } started && snapshot.StopTimeStamp is { } stopped && stopped - started >= options.ResetAfter) _consecutive = 0;
                delay = options.DelayFor(_consecutive++);
                attempt = ++_restarts;
                _pending?.Cancel();
                _pending = pending = CancellationTokenSource.CreateLinkedTokenSource(_appStopping);
            }
        }

        if (verdict is not null)
        {
            await PublishAsync(exitCode, verdict).ConfigureAwait(false);
            return;
        }

        _console.LogWarning("{Resource} exited ({State}, exit code {ExitCode}); restart {Attempt} in {Delay:0.#} s",
            Resource.Name, state, exitCode?.ToString(CultureInfo.InvariantCulture) ?? "none", attempt, delay.TotalSeconds);
        await PublishAsync(exitCode, $"restarting in {delay.TotalSeconds:0.#} s (restart {attempt})").ConfigureAwait(false);
        _ = RestartAfterAsync(delay, exitCode, attempt, pending!);
    }

    private async Task RestartAfterAsync(TimeSpan delay, int? exitCode, int attempt, CancellationTokenSource pending)
    {
        try
        {
            await Task.Delay(delay, pending.Token).ConfigureAwait(false);
            lock (_gate)
            {
                if (_stopRequested) return;
            }
            await PublishAsync(exitCode, $"restarted {attempt} time(s)", restarts: attempt).ConfigureAwait(false);
            var result = await services.GetRequiredService<ResourceCommandService>()
                .ExecuteCommandAsync(Resource, KnownResourceCommands.StartCommand, pending.Token).ConfigureAwait(false);
            if (!result.Success) _console.LogWarning("{Resource}: restart {Attempt} failed: {Message}", Resource.Name, attempt, result.Message);
        }
        catch (OperationCanceledException)
        {
            // The user stopped it, or the AppHost is shutting down.
        }
        catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException)
        {
            _console.LogWarning("{Resource}: restart {Attempt} failed: {Message}", Resource.Name, attempt, ex.Message);
        }
    }

    private Task PublishAsync(int? exitCode, string status, int? restarts = null)
        => services.GetRequiredService<ResourceNotificationService>().PublishUpdateAsync(Resource, s => s with
        {
            Properties = [.. s.Properties.Where(p => p.Name is not (RestartsProperty or LastExitCodeProperty or StatusProperty)),
                new(RestartsProperty, (restarts ?? ReadRestarts(s)).ToString(CultureInfo.InvariantCulture)),
                new(LastExitCodeProperty, exitCode?.ToString(CultureInfo.InvariantCulture) ?? ""),
                new(StatusProperty, status)],
        });

    private static int ReadRestarts(CustomResourceSnapshot s)
        => int.TryParse(s.Properties.FirstOrDefault(p => p.Name == RestartsProperty)?.Value as string, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
