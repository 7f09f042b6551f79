namespace Ichrisbirch.Tests.Hosting.Compose;

/// <summary>The application role in the compose bundle: the script ships with it, initdb and the postgres-init step run it, the services connect as the role.</summary>
public class ComposeDatabaseRoleTests(PublishedBundle bundle) : IClassFixture<PublishedBundle>
{
    private const string InitScript = "/docker-entrypoint-initdb.d/app-role.sql";

    [Fact]
    public void The_role_script_is_in_the_bundle_and_mounted_read_only_in_the_initdb_folder_of_postgres_and_the_role_step()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(Publisher.RepoRoot, "AppHost", "Postgres", "app-role.sql")),
            File.ReadAllText(Path.Combine(bundle.Directory, "files", "app-role.sql")));
        foreach (var name in new[] { "postgres", "postgres-init" })
        {
            var mount = bundle.Services.Map(name).List("volumes").Cast<Dictionary<object, object>>().Single(v => (string)v["type"] == "bind");
            Assert.Equal(("./files/app-role.sql", InitScript, "true"), ((string)mount["source"], (string)mount["target"], (string)mount["read_only"]));
        }
        var server = bundle.Services.Map("postgres", "environment");
        Assert.Equal(("ichrisbirch_app", "${POSTGRES_APP_PASSWORD:?set POSTGRES_APP_PASSWORD in .env}"), ((string)server["POSTGRES_APP_USER"], (string)server["POSTGRES_APP_PASSWORD"]));
    }

    [Fact]
    public void The_role_step_runs_the_script_with_psql_as_the_superuser_once_postgres_is_healthy()
    {
        var init = bundle.Services.Map("postgres-init");
        Assert.Equal("docker.io/library/postgres:15", init["image"]);
        Assert.Equal(["psql"], init.List("entrypoint"));
        Assert.Equal(InitScript, init.List("command").Last());
        var env = init.Map("environment");
        Assert.Equal(("postgres", "5432", "postgres", "ichrisbirch", "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}"),
            ((string)env["PGHOST"], (string)env["PGPORT"], (string)env["PGUSER"], (string)env["PGDATABASE"], (string)env["PGPASSWORD"]));
        Assert.Equal(("ichrisbirch_app", "${POSTGRES_APP_PASSWORD:?set POSTGRES_APP_PASSWORD in .env}"), ((string)env["POSTGRES_APP_USER"], (string)env["POSTGRES_APP_PASSWORD"]));
    }

    [Fact]
    public void Api_and_scheduler_connect_as_the_application_role_and_only_postgres_and_its_role_step_hold_the_superuser_password()
    {
        foreach (var name in new[] { "api", "scheduler" })
        {
            var env = bundle.Services.Map(name, "environment");
            Assert.Equal(("ichrisbirch_app", "${POSTGRES_APP_PASSWORD:?set POSTGRES_APP_PASSWORD in .env}"), ((string)env["POSTGRES_USERNAME"], (string)env["POSTGRES_PASSWORD"]));
        }
        var holders = bundle.Services.Where(s => ((Dictionary<object, object>)s.Value).Map("environment").Values.Cast<string>().Any(v => v.StartsWith("${POSTGRES_PASSWORD", StringComparison.Ordinal)))
            .Select(s => (string)s.Key).Order(StringComparer.Ordinal);
        Assert.Equal(["postgres", "postgres-init"], holders);
        var testing = Publisher.ReadYaml(Path.Combine(bundle.Directory, "docker-compose.test.yml")).Map("services", "test-runner", "environment");
        Assert.Equal("ichrisbirch_app", testing["POSTGRES_USERNAME"]);
    }
}
