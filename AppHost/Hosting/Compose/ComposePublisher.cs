using System.Globalization;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Pipelines;
using Microsoft.Extensions.DependencyInjection;

namespace Ichrisbirch.AppHost.Compose;

/// <summary>The publish step: translates the model once, then writes the production file, the overrides and the bundle.</summary>
internal static class ComposePublisher
{
    private const string Always = "always"; // long-running services come back after a crash or a daemon/host restart
    private static readonly string[] s_excludedDirectories = [".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".git", "node_modules"];
    private static readonly string[] s_excludedExtensions = [".pyc", ".pyo"];

    /// <summary>What the model translates to, before any environment is applied.</summary>
    /// <param name="File">The services as the model describes them.</param>
    /// <param name="Resources">The published resources, in model order.</param>
    /// <param name="Parameters">Parameters referenced as <c>${NAME}</c>, by NAME.</param>
    /// <param name="BuildContexts">Build context folders of the machine, by their folder in the bundle.</param>
    /// <param name="SharedContract">Every resource's service contract (POSTGRES_*, REDIS_*, FASTAPI_*, FLASK_*, …).</param>
    internal sealed record Translation(
        ComposeFile File, IReadOnlyList<IResource> Resources, SortedDictionary<string, ParameterResource> Parameters,
        SortedDictionary<string, string> BuildContexts, SortedDictionary<string, string> SharedContract);

    /// <summary>Writes the bundle into the pipeline's output folder (<c>--output-path</c> / <c>aspire publish -o</c>).</summary>
    public static async Task PublishAsync(DockerComposeEnvironmentResource environment, string appHostDirectory, PipelineStepContext context)
    {
        var output = context.Services.GetRequiredService<IPipelineOutputService>().GetOutputDirectory();
        var task = await context.ReportingStep.CreateTaskAsync($"Writing the Docker Compose bundle to {output}", context.CancellationToken).ConfigureAwait(false);

        var profiles = ComposeProfile.ReadAll(appHostDirectory);
        var translation = await TranslateAsync(context.Model, context.ExecutionContext, environment, context.CancellationToken).ConfigureAwait(false);
        var overrides = profiles.Values.ToDictionary(p => p.EnvironmentName, p => Override(p, translation));

        var production = translation.File;
        foreach (var service in production.Services.Values)
        {
            foreach (var name in ComposeProfile.OwnedVariables) service.Environment?.Remove(name);
        }
        Merge(production, overrides["Production"]);
        AddIngress(production, environment, translation);
        foreach (var resource in translation.Resources)
        {
            foreach (var customization in resource.Annotations.OfType<DockerComposeServiceCustomizationAnnotation>())
            {
                customization.Configure(resource, production.Services[resource.Name]);
            }
        }

        Directory.CreateDirectory(output);
        Write(output, "docker-compose.yml", ComposeTemplates.BaseHeader + production.ToYaml());
        Write(output, "docker-compose.dev.yml", ComposeTemplates.OverrideHeader("docker-compose.dev.yml") + overrides["Development"].ToYaml());
        Write(output, "docker-compose.test.yml", ComposeTemplates.OverrideHeader("docker-compose.test.yml") + overrides["Testing"].ToYaml());
        Write(output, ".env.example", ComposeTemplates.EnvExample(translation.Parameters.Values, environment.Routes.Count > 0));
        if (environment.Routes.Count > 0)
        {
            Write(output, Path.Combine("nginx", "nginx.conf"), ComposeTemplates.NginxConf(environment.Routes.Select(r => (r.PathPrefix, r.Service, TargetPort(translation, r.Service, r.EndpointName)))));
        }
        foreach (var (folder, source) in translation.BuildContexts)
        {
            CopyBuildContext(source, Path.Combine(output, folder));
        }

        await task.CompleteAsync($"Wrote docker-compose.yml (+ .dev/.test overrides) for {production.Services.Count} services to {output}",
            CompletionState.Completed, context.CancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The one translation of the model into compose: containers and Dockerfile builds become services;
    /// endpoint hosts become service names and ports their container (target) ports; parameters become
    /// <c>${NAME}</c>; waits become depends_on; health probes, graceful stop and data volumes carry over.
    /// </summary>
    internal static async Task<Translation> TranslateAsync(
        DistributedApplicationModel model, DistributedApplicationExecutionContext execution, DockerComposeEnvironmentResource environment, CancellationToken cancellationToken)
    {
        var parameters = new SortedDictionary<string, ParameterResource>(StringComparer.Ordinal);
        var contexts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var resources = model.Resources
            .Where(r => r is ContainerResource || r.Annotations.OfType<DockerfileBuildAnnotation>().Any())
            .ToList();

        int Target(IResource resource, string endpointName)
        {
            var endpoint = resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpointName);
            return endpoint.TargetPort ?? endpoint.Port ?? throw new InvalidOperationException($"{resource.Name}: endpoint '{endpointName}' has no target port to publish.");
        }

        string Format(object? value) => value switch
        {
            null => "",
            string s => Escape(s),
            ParameterResource p => Placeholder(p),
            EndpointReference e => $"{e.EndpointAnnotation.UriScheme}://{e.Resource.Name}:{Target(e.Resource, e.EndpointName)}",
            EndpointReferenceExpression x => x.Property switch
            {
                EndpointProperty.Host or EndpointProperty.IPV4Host => x.Endpoint.Resource.Name,
                EndpointProperty.Port or EndpointProperty.TargetPort => Target(x.Endpoint.Resource, x.Endpoint.EndpointName).ToString(CultureInfo.InvariantCulture),
                EndpointProperty.HostAndPort => $"{x.Endpoint.Resource.Name}:{Target(x.Endpoint.Resource, x.Endpoint.EndpointName)}",
                EndpointProperty.Url => Format(x.Endpoint),
                EndpointProperty.Scheme => x.Endpoint.EndpointAnnotation.UriScheme,
                EndpointProperty.TlsEnabled => "false",
                var other => throw new NotSupportedException($"Endpoint property {other} cannot be published to compose."),
            },
            ConnectionStringReference c => Format(c.Resource.ConnectionStringExpression),
            IResourceWithConnectionString c => Format(c.ConnectionStringExpression),
            ReferenceExpression r => string.Format(CultureInfo.InvariantCulture, Escape(r.Format), r.ValueProviders.Select(Format).ToArray<object>()),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var other => throw new NotSupportedException($"A value of type {other.GetType().Name} cannot be published to compose."),
        };

        string Placeholder(ParameterResource parameter)
        {
            var name = EnvironmentName(parameter.Name);
            parameters[name] = parameter;
            return parameter.Secret ? $"${{{name}:?set {name} in .env}}" : $"${{{name}}}";
        }

        async Task<SortedDictionary<string, string>> EnvironmentOf(IResource resource, IEnumerable<Func<EnvironmentCallbackContext, Task>> callbacks)
        {
            var values = new Dictionary<string, object>();
            var callbackContext = new EnvironmentCallbackContext(execution, resource, values, cancellationToken);
            foreach (var callback in callbacks) await callback(callbackContext).ConfigureAwait(false);
            return new(values.Where(v => !v.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal)) // the contract carries the same
                .ToDictionary(v => v.Key, v => Format(v.Value)), StringComparer.Ordinal);
        }

        var sharedContract = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var provider in model.Resources)
        {
            var contract = await EnvironmentOf(provider, provider.Annotations.OfType<ServiceContractAnnotation>().Select(c => c.Apply)).ConfigureAwait(false);
            foreach (var (key, value) in contract) sharedContract[key] = value;
        }

        var file = new ComposeFile();
        foreach (var resource in resources)
        {
            var service = new Service();
            var build = resource.Annotations.OfType<DockerfileBuildAnnotation>().LastOrDefault();
            if (build is not null)
            {
                var folder = contexts.FirstOrDefault(c => c.Value == build.ContextPath).Key ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(build.ContextPath));
                contexts[folder] = build.ContextPath;
                service.Build = new Build
                {
                    Context = $"./{folder}",
                    Dockerfile = Path.GetRelativePath(build.ContextPath, build.DockerfilePath).Replace('\\', '/'),
                    Target = build.Stage,
                };
            }
            else if (resource.Annotations.OfType<ContainerImageAnnotation>().LastOrDefault() is { } image)
            {
                service.Image = $"{(string.IsNullOrEmpty(image.Registry) ? "" : image.Registry + "/")}{image.Image}{(image.SHA256 is { } sha ? "@sha256:" + sha : ":" + image.Tag)}";
            }

            if (resource is ContainerResource { Entrypoint: { Length: > 0 } entrypoint }) service.Entrypoint = [Escape(entrypoint)];
            if (resource.TryGetAnnotationsOfType<CommandLineArgsCallbackAnnotation>(out var argCallbacks))
            {
                var args = new List<object>();
                var argsContext = new CommandLineArgsCallbackContext(args, resource, cancellationToken) { ExecutionContext = execution };
                foreach (var callback in argCallbacks) await callback.Callback(argsContext).ConfigureAwait(false);
                service.Command = args.Count > 0 ? args.Select(Format).ToList() : null;
            }

            var own = await EnvironmentOf(resource, resource.Annotations.OfType<EnvironmentCallbackAnnotation>().Select(c => c.Callback)).ConfigureAwait(false);
            // Services built from the project get the whole contract, as the old compose file's shared .env gave them.
            service.Environment = build is null ? own : new(sharedContract.Concat(own).GroupBy(v => v.Key).ToDictionary(g => g.Key, g => g.Last().Value), StringComparer.Ordinal);

            service.Expose = resource.Annotations.OfType<EndpointAnnotation>()
                .Select(e => Target(resource, e.Name).ToString(CultureInfo.InvariantCulture)).Distinct().ToList();

            foreach (var mount in resource.Annotations.OfType<ContainerMountAnnotation>())
            {
                if (mount.Type != ContainerMountType.Volume || string.IsNullOrEmpty(mount.Source))
                {
                    throw new NotSupportedException($"{resource.Name}: only named volumes are published (no bind mounts of the publishing machine): {mount.Source} -> {mount.Target}.");
                }
                (service.Volumes ??= []).Add(new Mount { Type = "volume", Source = mount.Source, Target = mount.Target, ReadOnly = mount.IsReadOnly ? true : null });
                (file.Volumes ??= new(StringComparer.Ordinal))[mount.Source] = new NamedVolume();
            }

            service.Healthcheck = resource switch
            {
                _ when resource.Annotations.OfType<HealthProbeAnnotation>().LastOrDefault() is { } probe => new Healthcheck
                {
                    Test = ["CMD", .. environment.HttpProbeCommand.Select(Escape), $"http://localhost:{Target(resource, probe.EndpointName)}{Escape(probe.Path)}"],
                    Interval = "30s", Timeout = "10s", StartPeriod = "5s", Retries = 3,
                },
                PostgresServerResource => new Healthcheck
                {
                    Test = ["CMD-SHELL", Escape("pg_isready -U postgres -d ${POSTGRES_DB}")],
                    Interval = "10s", Timeout = "5s", StartPeriod = "10s", Retries = 5,
                },
                RedisResource => new Healthcheck
                {
                    Test = ["CMD-SHELL", Escape("redis-cli -a \"$REDIS_PASSWORD\" --no-auth-warning ping | grep PONG")],
                    Interval = "10s", Timeout = "5s", StartPeriod = "5s", Retries = 5,
                },
                _ => null,
            };

            service.Restart = Always;
            service.StopGracePeriod = resource.Annotations.OfType<GracefulStopAnnotation>().LastOrDefault() is { } stop
                ? $"{(int)stop.GracePeriod.TotalSeconds}s" : null;
            service.Logging = DefaultLogging();
            service.Deploy = Limits(build is not null ? "1.0" : resource is PostgresServerResource ? "1.0" : "0.5", build is not null || resource is PostgresServerResource ? "1G" : "256M");
            file.Services[resource.Name] = service;
        }

        // Waits need every service's healthcheck first: service_healthy only where the target has one.
        foreach (var resource in resources)
        {
            foreach (var wait in resource.Annotations.OfType<WaitAnnotation>().Where(w => file.Services.ContainsKey(w.Resource.Name)))
            {
                (file.Services[resource.Name].DependsOn ??= new(StringComparer.Ordinal))[wait.Resource.Name] = wait.WaitType switch
                {
                    WaitType.WaitForCompletion => DependsOn.Completed,
                    WaitType.WaitUntilHealthy when file.Services[wait.Resource.Name].Healthcheck is not null => DependsOn.Healthy,
                    _ => DependsOn.Started,
                };
            }
        }

        return new(file, resources, parameters, contexts, sharedContract);
    }

    /// <summary>An environment's differences from the model: build target, server command, owned variables, host ports, mounts, test-runner.</summary>
    internal static ComposeFile Override(ComposeProfile profile, Translation translation)
    {
        var result = new ComposeFile();
        foreach (var resource in translation.Resources)
        {
            var name = resource.Name;
            var model = translation.File.Services[name];
            var service = new Service();
            if (model.Build is not null)
            {
                service.Build = new Build { Target = profile.ServiceEnvironment };
                if (profile.Server(name)?.Reload == true) // a reloading server gets the live source
                {
                    service.Volumes = [new Mount { Type = "bind", Source = model.Build.Context, Target = ComposeTemplates.AppDirectory }];
                }
            }
            if (profile.Server(name) is { } server && resource.Annotations.OfType<PythonEntrypointAnnotation>().LastOrDefault() is { ContainerPort: { } port } entrypoint)
            {
                service.Command = PythonAppResourceBuilderExtensions.ServerArguments(entrypoint,
                    new PythonServerAnnotation { Gunicorn = server.Gunicorn, Workers = server.Workers, Reload = server.Reload && !profile.IsProduction },
                    "0.0.0.0", port).Select(a => Escape((string)a)).ToList();
            }
            foreach (var variable in ComposeProfile.OwnedVariables)
            {
                // Services built from the project take every variable the profile gives them; images only those they already read.
                if ((model.Build is not null || model.Environment?.ContainsKey(variable) == true)
                    && profile.Variable(name, variable) is { } value)
                {
                    (service.Environment ??= new(StringComparer.Ordinal))[variable] = Escape(value);
                }
            }
            if (profile.HostPort(name) is { } hostPort && model.Expose is [var target, ..])
            {
                service.Ports = [new Port { Target = int.Parse(target, CultureInfo.InvariantCulture), Published = hostPort.ToString(CultureInfo.InvariantCulture) }];
            }
            if (!profile.Settings.PersistentData && model.Volumes is { } volumes)
            {
                service.Volumes = volumes.Where(v => v.Type == "volume").Select(v => new Mount { Type = "tmpfs", Target = v.Target }).ToList();
            }
            result.Services[name] = service;
        }

        if (profile.Settings.TestRunner && translation.File.Services.FirstOrDefault(s => s.Value.Build is not null) is { Value: { } template })
        {
            result.Services["test-runner"] = new Service
            {
                Build = new Build { Context = template.Build!.Context, Dockerfile = template.Build.Dockerfile, Target = profile.ServiceEnvironment },
                Entrypoint = ["python"],
                Command = ["-m", "pytest", .. profile.Settings.TestRunnerArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Escape)],
                Environment = new(translation.SharedContract, StringComparer.Ordinal)
                {
                    ["ENVIRONMENT"] = profile.ServiceEnvironment,
                    ["LOG_LEVEL"] = profile.LogLevel,
                    ["POSTGRES_DB"] = Escape(profile.Settings.Database),
                },
                DependsOn = new(translation.File.Services.Where(s => s.Value.Build is not null && s.Value.Healthcheck is not null)
                    .ToDictionary(s => s.Key, _ => DependsOn.Healthy), StringComparer.Ordinal),
                Restart = "no",
                Logging = DefaultLogging(),
            };
        }
        return result;
    }

    /// <summary>Applies an override the way compose does for the members overrides use.</summary>
    private static void Merge(ComposeFile target, ComposeFile change)
    {
        foreach (var (name, service) in change.Services)
        {
            if (!target.Services.TryGetValue(name, out var existing))
            {
                target.Services[name] = service;
                continue;
            }
            if (service.Build?.Target is { } buildTarget && existing.Build is not null) existing.Build.Target = buildTarget;
            existing.Command = service.Command ?? existing.Command;
            foreach (var (key, value) in service.Environment ?? []) (existing.Environment ??= new(StringComparer.Ordinal))[key] = value;
            existing.Ports = service.Ports ?? existing.Ports;
            if (service.Volumes is not null)
            {
                existing.Volumes = (existing.Volumes ?? []).Where(v => service.Volumes.All(n => n.Target != v.Target)).Concat(service.Volumes).ToList();
            }
        }
    }

    /// <summary>nginx, the single published port: routes from <see cref="DockerComposeEnvironmentResource.Routes"/>.</summary>
    private static void AddIngress(ComposeFile file, DockerComposeEnvironmentResource environment, Translation translation)
    {
        if (environment.Routes.Count == 0) return;
        file.Services["nginx"] = new Service
        {
            Image = environment.NginxImage,
            Ports = [new Port { Target = 80, Published = "${HTTP_PORT:-80}" }],
            Volumes = [new Mount { Type = "bind", Source = "./nginx/nginx.conf", Target = "/etc/nginx/nginx.conf", ReadOnly = true }],
            DependsOn = new(environment.Routes.Select(r => r.Service).Distinct()
                .ToDictionary(s => s, s => translation.File.Services[s].Healthcheck is null ? DependsOn.Started : DependsOn.Healthy), StringComparer.Ordinal),
            Healthcheck = new Healthcheck
            {
                Test = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/nginx-health"],
                Interval = "30s", Timeout = "5s", StartPeriod = "5s", Retries = 3,
            },
            Restart = Always,
            StopGracePeriod = "10s",
            Logging = DefaultLogging(),
            Deploy = Limits("0.5", "128M"),
        };
    }

    private static int TargetPort(Translation translation, string service, string endpointName)
    {
        var resource = translation.Resources.Single(r => r.Name == service);
        var endpoint = resource.Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpointName);
        return endpoint.TargetPort ?? endpoint.Port ?? throw new InvalidOperationException($"{service}: endpoint '{endpointName}' has no target port.");
    }

    private static Logging DefaultLogging() => new() { Options = new(StringComparer.Ordinal) { ["max-size"] = "10m", ["max-file"] = "3" } };

    private static Deploy Limits(string cpus, string memory) => new() { Resources = new DeployResources { Limits = new ResourceLimits(cpus, memory) } };

    /// <summary>A literal for compose: <c>$</c> becomes <c>$$</c> so compose does not interpolate it.</summary>
    internal static string Escape(string literal) => literal.Replace("$", "$$", StringComparison.Ordinal);

    /// <summary><c>postgres-password</c> → <c>POSTGRES_PASSWORD</c>.</summary>
    internal static string EnvironmentName(string parameterName)
        => new(parameterName.Select(c => char.IsLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());

    private static void Write(string output, string relativePath, string content)
    {
        var path = Path.Combine(output, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
    }

    /// <summary>Copies a build context into the bundle (no virtual environments, caches or bytecode); adds a Dockerfile if it has none.</summary>
    private static void CopyBuildContext(string source, string destination)
    {
        var from = Path.TrimEndingDirectorySeparator(Path.GetFullPath(source)) + Path.DirectorySeparatorChar;
        var to = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination)) + Path.DirectorySeparatorChar;
        if (from.StartsWith(to, StringComparison.Ordinal) || to.StartsWith(from, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The output folder {destination} would overlap the build context {source}: publish to another folder.");
        }
        if (Directory.Exists(to)) Directory.Delete(to, recursive: true);

        var pending = new Stack<DirectoryInfo>([new DirectoryInfo(from)]);
        while (pending.TryPop(out var directory))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, directory.FullName));
            Directory.CreateDirectory(target);
            foreach (var file in directory.EnumerateFiles().Where(f => f.LinkTarget is null && !s_excludedExtensions.Contains(f.Extension)))
            {
                file.CopyTo(Path.Combine(target, file.Name));
            }
            foreach (var child in directory.EnumerateDirectories().Where(d => d.LinkTarget is null && !s_excludedDirectories.Contains(d.Name) && !d.Name.EndsWith(".egg-info", StringComparison.Ordinal)))
            {
                pending.Push(child);
            }
        }
        if (!File.Exists(Path.Combine(to, "Dockerfile")))
        {
            File.WriteAllText(Path.Combine(to, "Dockerfile"), ComposeTemplates.Dockerfile, new UTF8Encoding(false));
        }
    }
}
