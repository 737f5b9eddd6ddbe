-- The extract's read-only role on the shop's database (docs/shop-database.md shows it): run it as the database's
-- owner, then give the role a password (`alter role shop_reader password '...'`), kept in SSM as
-- SHOP_PG_PASSWORD_PARAM names it. The role can read the six tables and nothing else, and its sessions refuse
-- writes even to what a later grant might allow.
do $$
begin
    if not exists (select from pg_roles where rolname = 'shop_reader') then
        create role shop_reader login nosuperuser nocreatedb nocreaterole noinherit;
    end if;
    execute format('grant connect on database %I to shop_reader', current_database());
end;
$$;
alter role shop_reader set default_transaction_read_only = on;
revoke create on schema public from public;
grant usage on schema public to shop_reader;
grant select on "User", "Product", "Order", "OrderItem", "Inventory", "Refund" to shop_reader;
