namespace Bulwark.Operations.Demo;

/// <summary>A small shop database for the demo: a few object kinds and about 200 000 rows.</summary>
internal static class DemoData
{
    public const string Schema = """
        CREATE SCHEMA shop;
        CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
        CREATE TABLE shop.customers (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            email text NOT NULL UNIQUE,
            name text NOT NULL,
            profile jsonb NOT NULL DEFAULT '{}',
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE shop.products (
            id integer PRIMARY KEY,
            title text NOT NULL,
            price numeric(10,2) NOT NULL CHECK (price >= 0),
            tags text[] NOT NULL DEFAULT '{}'
        );
        CREATE TABLE shop.orders (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            customer_id bigint NOT NULL REFERENCES shop.customers(id),
            status shop.order_status NOT NULL DEFAULT 'new',
            placed_at timestamptz NOT NULL
        );
        CREATE TABLE shop.order_items (
            order_id bigint NOT NULL REFERENCES shop.orders(id),
            product_id integer NOT NULL REFERENCES shop.products(id),
            quantity integer NOT NULL CHECK (quantity > 0),
            PRIMARY KEY (order_id, product_id)
        );
        CREATE INDEX orders_customer ON shop.orders(customer_id);
        CREATE VIEW shop.revenue AS
            SELECT o.id AS order_id, sum(p.price * i.quantity) AS total
            FROM shop.orders o JOIN shop.order_items i ON i.order_id = o.id JOIN shop.products p ON p.id = i.product_id
            GROUP BY o.id;
        COMMENT ON TABLE shop.orders IS 'One row per checkout';
        """;

    public const string Rows = """
        INSERT INTO shop.customers (email, name, profile, created_at)
        SELECT 'customer' || g || '@example.com', 'Customer ' || g,
               jsonb_build_object('newsletter', g % 3 = 0, 'city', (ARRAY['Oslo','Lyon','Porto','Graz'])[1 + g % 4]),
               timestamptz '2026-01-01' + g * interval '7 minutes'
        FROM generate_series(1, 20000) g;
        INSERT INTO shop.products (id, title, price, tags)
        SELECT g, 'Product ' || g, (g % 500) + 0.99, ARRAY['tag' || (g % 7), 'tag' || (g % 11)]
        FROM generate_series(1, 2000) g;
        INSERT INTO shop.orders (customer_id, status, placed_at)
        SELECT 1 + (g * 7919) % 20000, (ARRAY['new','paid','shipped','cancelled']::shop.order_status[])[1 + g % 4],
               timestamptz '2026-02-01' + g * interval '1 minute'
        FROM generate_series(1, 60000) g;
        INSERT INTO shop.order_items (order_id, product_id, quantity)
        SELECT o, 1 + (o * k * 31) % 2000, 1 + (o + k) % 5
        FROM generate_series(1, 60000) o, generate_series(1, 2) k
        ON CONFLICT DO NOTHING;
        ANALYZE;
        """;

    /// <summary>A day's work: a few new orders and a price change.</summary>
    public const string DayOfChanges = """
        INSERT INTO shop.orders (customer_id, status, placed_at)
        SELECT 1 + g % 20000, 'new', timestamptz '2026-03-15' + g * interval '1 minute' FROM generate_series(1, 200) g;
        UPDATE shop.products SET price = price + 1 WHERE id % 100 = 0;
        """;
}
