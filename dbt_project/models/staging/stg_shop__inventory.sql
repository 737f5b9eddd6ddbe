-- One row per product's stock in the shop's database.
select
    cast(product_id as {{ dbt.type_string() }}) as product_id,
    cast(quantity as {{ dbt.type_int() }}) as quantity,
    cast(reserved as {{ dbt.type_int() }}) as reserved,
    {{ shop_utc('updated_at') }} as updated_at
from {{ shop_relation('inventory', {
    'product_id': dbt.type_string(), 'quantity': dbt.type_int(), 'reserved': dbt.type_int(),
    'updated_at': dbt.type_timestamp()
}) }} as shop_inventory
