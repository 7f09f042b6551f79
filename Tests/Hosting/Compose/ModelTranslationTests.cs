using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Compose;
using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>The generic translator on models built in-test: what it publishes, and what it refuses with one line.</summary>
public class ModelTranslationTests
{
    private static readonly string AppHostDirectory = Path.Combine(Publisher.RepoRoot, "AppHost");

    /// <summary>Publishes <paramref name="topology"/>'s Production, Development and Testing models into a new folder.</summary>
    internal static async Task<string> PublishAsync(Action<IDistributedApplicationBuilder> topology)
    {
        var environment = new ComposeBundleResource("compose", topology, AppHostDirectory);
        environment.Overrides.Add(new("Development", "docker-compose.dev.yml"));
        environment.Overrides.Add(new("Testing", "docker-compose.test.yml"));
        var output = Directory.CreateTempSubdirectory("compose-model-").FullName;
        try
        {
            await ComposePublisher.WriteBundleAsync(environment, output, CancellationToken.None);
        }
        catch
        {
            Directory.Delete(output, recursive: true);
            throw;
        }
        return output;
    }

    private static void WithSixthService(IDistributedApplicationBuilder builder)
    {
        Program.Ichrisbirch(builder);
        var postgres = builder.CreateResourceBuilder((IResourceWithConnectionString)builder.Resources.Single(r => r.Name == "postgres"));
        builder.AddPythonModule("notifier", "../services", "ichrisbirch.notifier")
            .WithHttpEndpoint(targetPort: 8300, name: "http")
            .WithServiceDefaults()
            .WithRestartPolicy(RestartPolicy.Always)
            .WithEnvironment("NOTIFIER_CHANNEL", builder.Environment.EnvironmentName == "Development" ? "log" : "email")
            .WithReference(postgres).WaitFor(postgres);
    }

    [Fact]
    public async Task A_sixth_python_service_is_published_into_all_three_files_with_its_healthcheck_dependencies_and_only_its_variables()
    {
        var output = await PublishAsync(WithSixthService);
        try
        {
            var notifier = Publisher.ReadYaml(Path.Combine(output, "docker-compose.yml")).Map("services", "notifier");
            Assert.Equal("http://localhost:8300/health", notifier.Map("healthcheck").List("test").Last());
            Assert.Equal("service_healthy", notifier.Map("depends_on", "postgres")["condition"]);
            Assert.Equal("production", notifier.Map("build")["target"]);
            Assert.Equal(
                new[] { "ENVIRONMENT", "LOG_LEVEL", "NOTIFIER_CHANNEL", "OTEL_SERVICE_NAME", "POSTGRES_DB", "POSTGRES_HOST", "POSTGRES_PASSWORD", "POSTGRES_PORT", "POSTGRES_USERNAME", "PYTHONUNBUFFERED" },
                notifier.Map("environment").Keys.Cast<string>().Order(StringComparer.Ordinal));

            var development = Publisher.ReadYaml(Path.Combine(output, "docker-compose.dev.yml")).Map("services", "notifier");
            Assert.Equal("development", development.Map("build")["target"]);
            Assert.Equal(("log", "ichrisbirch_dev"), ((string)development.Map("environment")["NOTIFIER_CHANNEL"], (string)development.Map("environment")["POSTGRES_DB"]));
            var testing = Publisher.ReadYaml(Path.Combine(output, "docker-compose.test.yml")).Map("services", "notifier");
            Assert.Equal("testing", testing.Map("build")["target"]);
            Assert.Equal("ichrisbirch_test", testing.Map("environment")["POSTGRES_DB"]);
            Assert.Equal("service_healthy", Publisher.ReadYaml(Path.Combine(output, "docker-compose.test.yml")).Map("services", "test-runner", "depends_on", "api")["condition"]);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    public static TheoryData<string, string> Untranslatable => new()
    {
        { "dotnet", "dotnet is a .NET project, which cannot be published: publish it as a container (PublishAsDockerFile / WithDockerfile), or mark it run-only with ExcludeFromManifest()." },
        { "bind", "web: bind mount /srv/data -> /data is a path of the publishing machine; use a named volume, or WithLiveSource(...) for a development source mount." },
        { "no-target-port", "web: endpoint 'http' has no target port, so no publisher can know where the container listens; give it targetPort: in WithEndpoint/WithHttpEndpoint." },
        { "executable", "tool is a ExecutableResource, which cannot be published: publish it as a container (PublishAsDockerFile / WithDockerfile), or mark it run-only with ExcludeFromManifest()." },
    };

    [Theory]
    [MemberData(nameof(Untranslatable))]
    public async Task A_resource_compose_cannot_express_stops_the_publish_with_one_line_naming_it_and_the_fix(string kind, string expected)
    {
        void Topology(IDistributedApplicationBuilder builder)
        {
            builder.AddComposeBundle("compose", Topology);
            _ = kind switch
            {
                "dotnet" => (object)builder.AddResource(new ProjectResource("dotnet")),
                "bind" => builder.AddContainer("web", "nginx", "1.27").WithBindMount("/srv/data", "/data"),
                "no-target-port" => builder.AddContainer("web", "nginx", "1.27").WithEndpoint("http", e => { e.Port = 8080; e.TargetPort = null; }, createIfNotExists: true),
                _ => builder.AddExecutable("tool", "/bin/true", "/"),
            };
        }

        var ex = await Assert.ThrowsAsync<PublishException>(() => PublishAsync(Topology));
        Assert.Equal(expected, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task Run_only_resources_are_not_published_and_conditional_expressions_are_evaluated()
    {
        void Topology(IDistributedApplicationBuilder builder)
        {
            builder.AddComposeBundle("compose", Topology);
            var web = builder.AddContainer("web", "nginx", "1.27").WithHttpEndpoint(targetPort: 80, name: "http");
            var tls = web.Resource.GetEndpoint("http").Property(EndpointProperty.TlsEnabled);
            web.WithEnvironment("SCHEME", ReferenceExpression.CreateConditional(tls, bool.TrueString,
                ReferenceExpression.Create($"https"), ReferenceExpression.Create($"http")));
            builder.AddExecutable("installer", "/bin/true", "/").ExcludeFromManifest();
        }

        var output = await PublishAsync(Topology);
        try
        {
            var services = Publisher.ReadYaml(Path.Combine(output, "docker-compose.yml")).Map("services");
            Assert.Equal("http", services.Map("web", "environment")["SCHEME"]);
            Assert.DoesNotContain("installer", services.Keys);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task PublishAsComposeService_without_a_compose_bundle_fails_the_publish_naming_the_fix()
    {
        var output = Directory.CreateTempSubdirectory("compose-none-").FullName;
        try
        {
            var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
            {
                Args = ["--operation", "publish", "--step", "publish", "--output-path", output],
                ProjectDirectory = AppHostDirectory,
                DisableDashboard = true,
            });
            builder.AddContainer("web", "nginx", "1.27").PublishAsComposeService((_, service) => service.Restart = "always");
            await using var app = builder.Build();
            var stderr = Console.Error;
            var captured = new StringWriter();
            Console.SetError(captured);
            try
            {
                await app.RunAsync();
            }
            finally
            {
                Console.SetError(stderr);
            }
            Assert.Equal(1, Environment.ExitCode);
            Environment.ExitCode = 0; // the test host's own
            Assert.Contains("aspire publish (compose): web: PublishAsComposeService needs a compose bundle in the model; add builder.AddComposeBundle(name, topology).\n",
                captured.ToString());
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public void An_environment_that_would_need_a_key_deleted_stops_the_publish_with_one_line()
    {
        var production = new ComposeFile { Services = { ["web"] = new Service { Image = "nginx:1.27", Environment = new() { ["A"] = "1", ["B"] = "2" } } } };
        var development = new ComposeFile { Services = { ["web"] = new Service { Image = "nginx:1.27", Environment = new() { ["A"] = "3" } } } };

        var ex = Assert.Throws<PublishException>(() => OverrideDifference.Compute(production, development, "Production", "Development"));
        Assert.Equal("Development: service web would need environment 'B' of Production deleted, which a compose override cannot do; " +
                     "give web the same environment 'B' in Development, or move it out of Production.", ex.Message);

        development.Services["web"].Environment!["B"] = "2";
        var change = OverrideDifference.Compute(production, development, "Production", "Development");
        Assert.Equal(new Dictionary<string, string> { ["A"] = "3" }, change.Services["web"].Environment);
        Assert.Null(change.Services["web"].Image);
    }
}
