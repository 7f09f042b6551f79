using System.Collections.Concurrent;
using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Tests.Hosting.Publishing;

/// <summary>One publish, three publishers (compose, Kubernetes and a test-only env-file publisher): one model per environment.</summary>
public class PublishOnceTests
{
    private static readonly string AppHostDirectory = Path.Combine(Repository.Root, "AppHost");

    /// <summary>A small application published by all three publishers; counts the published models the topology builds.</summary>
    private sealed class CountingTopology
    {
        public ConcurrentDictionary<string, int> Builds { get; } = new(StringComparer.Ordinal);

        public void Apply(IDistributedApplicationBuilder builder)
        {
            if (PublishedModels.IsPublishedModel(builder)) Builds.AddOrUpdate(builder.Environment.EnvironmentName, 1, (_, n) => n + 1);
            builder.AddComposeBundle("compose", Apply).WithOverride("Development", "docker-compose.dev.yml").WithOverride("Testing", "docker-compose.test.yml");
            builder.AddKustomizeBundle("kubernetes", Apply).WithOverlay("Production", "production").WithOverlay("Development", "development")
                .WithOverlay("Testing", "testing").WithImageUser("library/redis", 999);
            builder.AddEnvFiles("env-files", Apply, "Production", "Development", "Testing");

            var password = builder.AddParameter("cache-password", secret: true);
            var cache = builder.AddContainer("cache", "library/redis", "7").WithEndpoint(targetPort: 6379, name: "tcp")
                .WithEnvironment("REDIS_PASSWORD", password).WithRestartPolicy(RestartPolicy.Always);
            var endpoint = cache.GetEndpoint("tcp");
            builder.AddContainer("web", "library/redis", "7").WithHttpEndpoint(targetPort: 8080, name: "http")
                .WithEnvironment("CACHE_ADDRESS", ReferenceExpression.Create($"{endpoint.Property(EndpointProperty.Host)}:{endpoint.Property(EndpointProperty.Port)}"))
                .WithEnvironment("MODE", builder.Environment.EnvironmentName.ToLowerInvariant())
                .WithRestartPolicy(RestartPolicy.Always).WaitFor(cache);
        }
    }

    [Fact]
    public async Task One_publish_builds_each_environment_model_once_and_hands_it_to_every_publisher()
    {
        using var scratch = new ScratchDirectory();
        var topology = new CountingTopology();
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = ["--operation", "publish", "--step", "publish", "--output-path", scratch.Path, "--Parameters:cache-password=unused"],
            ProjectDirectory = AppHostDirectory,
            DisableDashboard = true,
        });
        topology.Apply(builder);
        await using (var app = builder.Build())
        {
            await app.RunAsync();
        }

        Assert.Equal(new SortedDictionary<string, int> { ["Development"] = 1, ["Production"] = 1, ["Testing"] = 1 },
            new SortedDictionary<string, int>(topology.Builds, StringComparer.Ordinal));
        Assert.True(File.Exists(Path.Combine(scratch.Path, "docker-compose.test.yml")), "the compose publisher wrote no docker-compose.test.yml");
        Assert.True(File.Exists(Path.Combine(scratch.Path, "k8s", "overlays", "testing", "kustomization.yaml")), "the Kubernetes publisher wrote no testing overlay");
        Assert.Equal("CACHE_ADDRESS=cache:6379\nMODE=testing\n", File.ReadAllText(Path.Combine(scratch.Path, "env-files", "testing", "web.env")));
        Assert.Equal("REDIS_PASSWORD=<CACHE_PASSWORD>\n", File.ReadAllText(Path.Combine(scratch.Path, "env-files", "production", "cache.env")));
    }

    [Fact]
    public async Task Asking_twice_for_an_environment_returns_the_same_model_without_building_it_again()
    {
        var topology = new CountingTopology();
        var models = new PublishedModels(topology.Apply, AppHostDirectory);

        var first = await models.GetAsync("Development");
        var second = await models.GetAsync("Development");

        Assert.Same(first, second);
        Assert.Equal(1, topology.Builds["Development"]);
        Assert.Equal(["cache", "web"], first.Resources.Select(r => r.Name));
    }
}
