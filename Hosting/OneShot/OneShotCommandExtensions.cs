using System.ComponentModel;
using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.OneShot;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>One-shot commands the AppHost runs itself when a resource is ready (see <see cref="OneShotCommandResource"/>).</summary>
public static class OneShotCommandExtensions
{
    /// <summary>
    /// Adds a one-shot command that runs once <paramref name="trigger"/> is ready (its ready event: healthy, and its own
    /// ready work done), and again at each later ready event (a restart). Resources that need its result use
    /// <c>WaitForCompletion</c>, as with an executable.
    /// </summary>
    public static IResourceBuilder<OneShotCommandResource> AddOneShotCommand(this IDistributedApplicationBuilder builder,
        string name, string command, string workingDirectory, IResourceBuilder<IResource> trigger, params string[] args)
    {
        var step = builder.AddResource(new OneShotCommandResource(name, command, workingDirectory))
            .WithArgs(args)
            .WithInitialState(new() { ResourceType = "Executable", State = KnownResourceStates.Waiting, Properties = [new(CustomResourceKnownProperties.Source, command)] })
            .WithParentRelationship(trigger)
            .WaitFor(trigger) // what the ready event means: the dashboard and the model show the order
            .ExcludeFromManifest();
        builder.Eventing.Subscribe<ResourceReadyEvent>(trigger.Resource, (e, ct) =>
        {
            step.Resource.Ran = true;
            return RunAsync(step.Resource, builder.ExecutionContext, e.Services, ct);
        });
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            FailWhenTriggerFails(step.Resource, trigger.Resource, e.Services);
            return Task.CompletedTask;
        });
        return step;
    }

    /// <summary>
    /// A trigger that fails to start (or ends) before it was ever ready fails the step, as Aspire's <c>WaitFor</c> fails a
    /// dependant, so what waits for the step's completion fails too instead of waiting for ever.
    /// </summary>
    private static void FailWhenTriggerFails(OneShotCommandResource step, IResource trigger, IServiceProvider services)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var stopping = services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping;
        _ = Task.Run(async () =>
        {
            try
            {
                var failed = await notifications.WaitForResourceAsync(trigger.Name,
                    e => step.Ran || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), stopping).ConfigureAwait(false);
                if (step.Ran) return;
                services.GetRequiredService<ResourceLoggerService>().GetLogger(step)
                    .LogError("{Step} did not run: {Trigger} is {State} (see its log)", step.Name, trigger.Name, failed.Snapshot.State?.Text);
                await notifications.PublishUpdateAsync(step, s => s with { State = KnownResourceStates.FailedToStart, StopTimeStamp = DateTime.UtcNow }).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The AppHost is stopping.
            }
        }, stopping);
    }

    private static async Task RunAsync(OneShotCommandResource step, DistributedApplicationExecutionContext execution, IServiceProvider services, CancellationToken ct)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var logger = services.GetRequiredService<ResourceLoggerService>().GetLogger(step);
        var start = new ProcessStartInfo(step.Command) { WorkingDirectory = step.WorkingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in await OneShotValues.ArgumentsAsync(step, execution, ct).ConfigureAwait(false)) start.ArgumentList.Add(arg);
        foreach (var (key, value) in await OneShotValues.EnvironmentAsync(step, execution, ct).ConfigureAwait(false)) start.Environment[key] = value;

        await notifications.PublishUpdateAsync(step, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow, StopTimeStamp = null, ExitCode = null }).ConfigureAwait(false);
        int exitCode;
        try
        {
            using var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, line) => { if (line.Data is not null) logger.LogInformation("{Line}", line.Data); };
            process.ErrorDataReceived += (_, line) => { if (line.Data is not null) logger.LogError("{Line}", line.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            exitCode = process.ExitCode;
        }
        catch (Win32Exception e)
        {
            logger.LogError("{Step}: {Command} could not start: {Reason}", step.Name, step.Command, e.Message);
            await notifications.PublishUpdateAsync(step, s => s with { State = KnownResourceStates.FailedToStart, StopTimeStamp = DateTime.UtcNow }).ConfigureAwait(false);
            return;
        }
        var state = exitCode == 0 ? new ResourceStateSnapshot(KnownResourceStates.Finished, KnownResourceStateStyles.Success)
            : new ResourceStateSnapshot(KnownResourceStates.Finished, KnownResourceStateStyles.Error);
        await notifications.PublishUpdateAsync(step, s => s with { State = state, ExitCode = exitCode, StopTimeStamp = DateTime.UtcNow }).ConfigureAwait(false);
    }
}
