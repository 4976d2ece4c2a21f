using Widgetify.Api;

// Standalone host: configure Widgetify:Database:ConnectionString (appsettings or environment).
// './widgetify up' hosts the same service next to an embedded PostgreSQL.
var builder = WebApplication.CreateBuilder(args);
builder.AddWidgetify();

var app = builder.Build();
app.UseWidgetify();
await app.Services.MigrateDatabaseAsync();
await app.RunAsync();
