using System.Runtime.CompilerServices;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

public static partial class PythonAppResourceBuilderExtensions
{
    private static readonly ConditionalWeakTable<IDistributedApplicationBuilder, object> s_setUp = [];
    private static readonly ConditionalWeakTable<DistributedApplicationModel, object> s_modelsSetUp = [];

    /// <summary>
    /// Run mode. Every Python resource gets a <c>{name}-venv-creator</c> and a <c>{name}-installer</c> child while the
    /// model is built (Aspire names DCP instances before our start hook runs, so helpers cannot appear later). At start,
    /// once the model is final and whatever the call order was, the resources are grouped by virtual environment: the
    /// first of each group keeps a creator when the environment is missing and an installer when the requirements changed
    /// since the last successful install; every other helper leaves the model without ever starting.
    /// </summary>
    private static void AddEnvironmentHelpers(this IDistributedApplicationBuilder builder, PythonAppResource app)
    {
        builder.AddResource(new PythonVenvCreatorResource($"{app.Name}-venv-creator", "python3", app.AppDirectory, ""))
            .WithParentRelationship(app).ExcludeFromManifest();
        builder.AddResource(new PythonInstallerResource($"{app.Name}-installer", app.AppDirectory))
            .WithEnvironment("PYTHONUNBUFFERED", "1").WithParentRelationship(app).ExcludeFromManifest()
            .OnBeforeResourceStarted((r, e, ct) => EnsureCanInstallAsync(r, PythonHostingOptions.From(e.Services), e.Services, ct));

        if (s_setUp.TryGetValue(builder, out _)) return;
        s_setUp.Add(builder, new object());
        builder.Eventing.Subscribe<BeforeStartEvent>((e, ct) =>
        {
            SetUpEnvironments(builder, e.Model, e.Services);
            return Task.CompletedTask;
        });
    }

    private static void SetUpEnvironments(IDistributedApplicationBuilder builder, DistributedApplicationModel model, IServiceProvider services)
    {
        if (!s_modelsSetUp.TryAdd(model, new object())) return; // once, however often the start hook is raised
        var options = PythonHostingOptions.From(services);
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Aspire.Hosting.Python");
        var apps = model.Resources.OfType<PythonAppResource>().ToList();
        foreach (var app in apps) EnsureDebugpyAllowed(app, builder.Environment);
        var keep = new HashSet<IResource>();

        foreach (var group in apps.GroupBy(a => VenvOf(a).VirtualEnvironmentPath, StringComparer.Ordinal))
        {
            var owner = group.First();
            var venv = VenvOf(owner);
            IResourceBuilder<PythonVenvCreatorResource>? creator = null;
            if (!Directory.Exists(venv.VirtualEnvironmentPath) && group.All(a => VenvOf(a).CreateIfNotExists)
                && builder.TryCreateResourceBuilder<PythonVenvCreatorResource>($"{owner.Name}-venv-creator", out creator))
            {
                creator.ConfigureCreator(venv, options);
                keep.Add(creator.Resource);
            }

            IResourceBuilder<PythonInstallerResource>? installer = null;
            if (PythonRequirements.Resolve(group.ToList(), options) is { } requirements)
            {
                if (creator is null && requirements.StampMatches(venv.VirtualEnvironmentPath))
                {
                    logger.LogInformation("{Venv}: requirements unchanged since the last successful install; no installer runs", venv.VirtualEnvironmentPath);
                }
                else if (builder.TryCreateResourceBuilder($"{owner.Name}-installer", out installer))
                {
                    installer.ConfigureInstaller(venv, requirements, creator, services);
                    keep.Add(installer.Resource);
                }
            }

            IResourceBuilder<IResource>? gate = (IResourceBuilder<IResource>?)installer ?? creator;
            foreach (var app in group)
            {
                var appBuilder = builder.CreateResourceBuilder(app);
                if (gate is not null) appBuilder.WaitForCompletion(gate);
                appBuilder.WithLaunch();
            }
        }

        foreach (var unused in model.Resources.Where(r => r is PythonVenvCreatorResource or PythonInstallerResource && !keep.Contains(r)).ToList())
        {
            model.Resources.Remove(unused);
        }
    }

    private static PythonEnvironmentAnnotation VenvOf(IResource resource) => resource.Annotations.OfType<PythonEnvironmentAnnotation>().Last();

    private static void ConfigureCreator(this IResourceBuilder<PythonVenvCreatorResource> creator, PythonEnvironmentAnnotation venv, PythonHostingOptions options)
    {
        var baseInterpreter = venv.BaseInterpreter ?? options.BaseInterpreter;
        List<string> args = ["-m", "venv"];
        if (venv.SystemSitePackages ?? options.SystemSitePackages) args.Add("--system-site-packages");
        args.Add(venv.VirtualEnvironmentPath);
        creator.Resource.VirtualEnvironmentPath = venv.VirtualEnvironmentPath;
        creator.WithCommand(baseInterpreter).WithArgs([.. args])
            .OnBeforeResourceStarted((r, e, ct) => EnsureCanCreateVenvAsync(r, baseInterpreter, PythonHostingOptions.From(e.Services), ct));
    }

    private static void ConfigureInstaller(
        this IResourceBuilder<PythonInstallerResource> installer, PythonEnvironmentAnnotation venv,
        PythonRequirements requirements, IResourceBuilder<PythonVenvCreatorResource>? creator, IServiceProvider services)
    {
        installer.Resource.VirtualEnvironmentPath = venv.VirtualEnvironmentPath;
        installer.Resource.Requirements = requirements;
        installer.WithCommand(venv.Interpreter).WithArgs([.. requirements.PipArguments]);
        if (creator is not null) installer.WaitForCompletion(creator);

        // The stamp is written only after pip succeeded, so a failed or interrupted install runs again next start.
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        var stopping = services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        _ = Task.Run(async () =>
        {
            try
            {
                var done = await notifications.WaitForResourceAsync(installer.Resource.Name, e => e.Snapshot.ExitCode is not null, stopping).ConfigureAwait(false);
                if (done.Snapshot.ExitCode == 0) requirements.WriteStamp(venv.VirtualEnvironmentPath);
            }
            catch (OperationCanceledException)
            {
                // AppHost stopped before the install finished: no stamp, the next start installs again.
            }
        }, stopping);
    }

    /// <summary>
    /// Waits until the environment helpers this resource depends on (creator, installer) have finished. False when one
    /// failed: its own log says why, and Aspire fails the dependants.
    /// </summary>
    private static async Task<bool> HelpersSucceededAsync(IResource resource, IServiceProvider services, CancellationToken ct)
    {
        var notifications = services.GetRequiredService<ResourceNotificationService>();
        foreach (var wait in resource.Annotations.OfType<WaitAnnotation>().Where(w => w.Resource is PythonVenvCreatorResource or PythonInstallerResource))
        {
            var done = await notifications.WaitForResourceAsync(wait.Resource.Name,
                e => e.Snapshot.ExitCode is not null || KnownResourceStates.TerminalStates.Contains(e.Snapshot.State?.Text), ct).ConfigureAwait(false);
            if (done.Snapshot.ExitCode != 0) return false;
        }
        return true;
    }
}
