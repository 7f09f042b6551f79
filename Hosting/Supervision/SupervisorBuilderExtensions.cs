using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>
/// Run mode keeps the stack up as compose does: every executable resource whose <see cref="RestartPolicy"/> asks for it is
/// started again after it exits on its own, with capped exponential backoff; a stop the user asked for is never undone.
/// </summary>
public static class SupervisorBuilderExtensions
{
    /// <summary>
    /// Restarts resources that exit without anyone having asked them to stop, as their restart policy says
    /// (<see cref="RestartPolicy.Always"/>, <see cref="RestartPolicy.OnFailure"/>; <see cref="RestartPolicy.No"/> never).
    /// Restart count, last exit code and the supervisor's verdict are properties of the resource in the dashboard.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="configure">Changes the backoff and the exit codes that are never retried.</param>
    public static IDistributedApplicationBuilder AddSupervisor(this IDistributedApplicationBuilder builder, Action<SupervisorOptions>? configure = null)
    {
        if (!builder.ExecutionContext.IsRunMode) return builder;
        var options = new SupervisorOptions();
        configure?.Invoke(options);
        builder.Services.AddSingleton(options); // the model says a supervisor runs, and with which rules

        builder.Eventing.Subscribe<BeforeStartEvent>((e, ct) =>
        {
            var services = e.Services;
            var supervisors = e.Model.Resources
                .Where(IsSupervised)
                .Select(r => new ResourceSupervisor(r, options, services))
                .ToList();
            foreach (var supervisor in supervisors)
            {
                // DCP adds the lifecycle commands after BeforeStartEvent: wrap them before each start (idempotent).
                builder.Eventing.Subscribe<BeforeResourceStartedEvent>(supervisor.Resource, (_, _) => { supervisor.InterceptUserCommands(); return Task.CompletedTask; });
                builder.Eventing.Subscribe<ResourceStoppedEvent>(supervisor.Resource, (stopped, _) => supervisor.OnStoppedAsync(stopped.ResourceEvent.Snapshot));
            }
            return Task.CompletedTask;
        });
        return builder;
    }

    /// <summary>Whether the supervisor watches <paramref name="resource"/>: a process or container whose restart policy is not <see cref="RestartPolicy.No"/>.</summary>
    public static bool IsSupervised(IResource resource)
        => resource.GetRestartPolicy() != RestartPolicy.No && resource is ExecutableResource or ContainerResource;

    /// <summary>
    /// When this run-once resource finishes, the AppHost stops every resource and exits with the resource's exit code
    /// (1 when it failed to start), as <c>docker compose up --exit-code-from</c> does. Its output is copied to the AppHost console.
    /// </summary>
    public static IResourceBuilder<T> WithApplicationExitOnCompletion<T>(this IResourceBuilder<T> builder)
        where T : IResource
    {
        if (!builder.ApplicationBuilder.ExecutionContext.IsRunMode) return builder;
        var exit = new CompletionExit(builder.Resource);
        builder.ApplicationBuilder.Eventing.Subscribe<BeforeResourceStartedEvent>(builder.Resource, (e, _) => { exit.ForwardOutput(e.Services); return Task.CompletedTask; });
        builder.ApplicationBuilder.Eventing.Subscribe<ResourceStoppedEvent>(builder.Resource, (e, _) => exit.OnStoppedAsync(e.Services, e.ResourceEvent.Snapshot));
        return builder;
    }
}
