namespace Ichrisbirch.Tests.Publish;

/// <summary>The bundle is accepted by docker-compose and by the compose specification's JSON schema.</summary>
public class ComposeValidationTests(PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    private static readonly string[][] Combinations =
    [
        ["docker-compose.yml"],
        ["docker-compose.yml", "docker-compose.dev.yml"],
        ["docker-compose.yml", "docker-compose.test.yml"],
    ];

    /// <summary>
    /// compose-spec.schema.json is the compose specification schema bundled by the npm package dclint 3.1.0
    /// (node_modules/dclint/schemas/compose.schema.json), copied unchanged.
    /// </summary>
    private static readonly string Schema = Path.Combine(Publisher.RepoRoot, "Tests", "Publish", "compose-spec.schema.json");

    [Fact]
    public async Task Every_file_combination_passes_docker_compose_config()
    {
        var compose = Publisher.RequireTool("docker-compose", "apt-get install -y docker-compose");
        // .env from the example's placeholder values, as a user would start.
        var env = File.ReadAllLines(Path.Combine(bundle.Directory, ".env.example")).Where(l => l.Contains('=') && !l.StartsWith('#'));
        File.WriteAllLines(Path.Combine(bundle.Directory, ".env"), env);
        try
        {
            foreach (var files in Combinations)
            {
                var (exit, output) = await Publisher.ExecAsync(compose, [.. files.SelectMany(f => new[] { "-f", f }), "config", "-q"], bundle.Directory);
                Assert.True(exit == 0, $"docker-compose {string.Join(" -f ", files)} config: {output}");
            }
        }
        finally
        {
            File.Delete(Path.Combine(bundle.Directory, ".env"));
        }
    }

    [Fact]
    public async Task Every_file_matches_the_compose_spec_schema()
    {
        var python = Publisher.RequireTool("python3", "apt-get install -y python3 python3-jsonschema python3-yaml");
        const string validate = """
            import json, sys
            try:
                import jsonschema, yaml
            except ImportError as e:
                sys.exit(f"{e.name} is missing: apt-get install -y python3-jsonschema python3-yaml")
            schema = json.load(open(sys.argv[1]))
            failed = 0
            for path in sys.argv[2:]:
                for error in jsonschema.Draft7Validator(schema).iter_errors(yaml.safe_load(open(path))):
                    failed += 1
                    print(f"{path}: {list(error.absolute_path)}: {error.message}")
            sys.exit(1 if failed else 0)
            """;
        var (exit, output) = await Publisher.ExecAsync(python, ["-c", validate, Schema, "docker-compose.yml", "docker-compose.dev.yml", "docker-compose.test.yml"], bundle.Directory);
        Assert.True(exit == 0, output);
    }
}
